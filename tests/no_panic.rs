//! Hostile input never panics the loader or the parsers of values checks rely on.

use aksguard::checks::image::ImageRef;
use aksguard::k8s::quantity::Quantity;
use aksguard::load::yaml::parse_stream;
use proptest::prelude::*;

/// YAML-ish text: structure characters, anchors, aliases, tags, quotes and markers.
fn yamlish() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "a",
        "b: ",
        "- ",
        "  ",
        "\n",
        "---\n",
        "...\n",
        "&x ",
        "*x",
        "!!str ",
        "!t ",
        "{",
        "}",
        "[",
        "]",
        ", ",
        "'",
        "\"",
        "\\",
        "|\n",
        ">-\n",
        "# c\n",
        "<<: ",
        "? ",
        "0644",
        "yes",
        "~",
        "\t",
        "\u{feff}",
        "é",
        "%YAML 1.2\n",
    ]);
    prop::collection::vec(atoms, 0..80).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn loader_never_panics_on_yamlish_text(text in yamlish()) {
        let mut docs = 0;
        parse_stream(&text, 1, 0, |_| docs += 1);
    }

    #[test]
    fn loader_never_panics_on_arbitrary_text(text in ".{0,300}") {
        parse_stream(&text, 1, 0, |_| {});
    }

    #[test]
    fn quantities_and_images_never_panic(s in ".{0,40}") {
        let _ = Quantity::parse(&s);
        let _ = ImageRef::parse(&s);
    }
}

/// Any JSON value, a few levels deep, with Kubernetes-looking keys.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        "[a-zA-Z0-9:/@._-]{0,12}".prop_map(Value::String),
    ];
    let keys = prop::sample::select(vec![
        "containers",
        "initContainers",
        "ephemeralContainers",
        "securityContext",
        "privileged",
        "capabilities",
        "add",
        "drop",
        "volumes",
        "hostPath",
        "ports",
        "hostPort",
        "resources",
        "limits",
        "requests",
        "memory",
        "cpu",
        "image",
        "name",
        "seccompProfile",
        "type",
        "sysctls",
        "runAsUser",
        "runAsNonRoot",
        "hostNetwork",
        "livenessProbe",
        "httpGet",
        "host",
        "template",
        "spec",
        "metadata",
        "annotations",
        "labels",
        "os",
        "windowsOptions",
    ]);
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..5).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every check runs on objects whose fields have the wrong types or shapes.
    #[test]
    fn checks_never_panic_on_malformed_objects(spec in json_value(), template in json_value()) {
        use aksguard::config::Config;
        use aksguard::engine::{Input, scan};
        let docs = [
            serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}),
            serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
                               "metadata": {"name": "d", "namespace": "x"},
                               "spec": {"template": template}}),
        ];
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("m.json");
        let text: Vec<String> = docs.iter().map(|d| d.to_string()).collect();
        std::fs::write(&file, text.join("\n---\n")).unwrap();
        let r = scan(&[Input::Path(file)], &Config::default());
        prop_assert!(r.errors.is_empty(), "{:?}", r.errors);
        prop_assert_eq!(r.stats.objects, 2);
    }
}

/// Any JSON value with AKS-looking keys.
fn aks_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        "[a-zA-Z0-9:/@._\\[\\]()',-]{0,16}".prop_map(Value::String),
        Just(json!("[parameters('x')]")),
        Just(json!("1.30.4")),
    ];
    let keys = prop::sample::select(vec![
        "properties",
        "agentPoolProfiles",
        "apiServerAccessProfile",
        "enablePrivateCluster",
        "authorizedIPRanges",
        "networkProfile",
        "networkPolicy",
        "networkDataplane",
        "outboundType",
        "addonProfiles",
        "azurepolicy",
        "azureKeyvaultSecretsProvider",
        "config",
        "enabled",
        "securityProfile",
        "sshAccess",
        "defender",
        "securityMonitoring",
        "aadProfile",
        "enableAzureRBAC",
        "identity",
        "type",
        "servicePrincipalProfile",
        "clientId",
        "kubernetesVersion",
        "orchestratorVersion",
        "nodeTaints",
        "mode",
        "availabilityZones",
        "sku",
        "tier",
        "supportPlan",
        "name",
    ]);
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..6).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Every AKS check runs on clusters whose properties have the wrong types or shapes, in the
    /// ARM resource, az and template shapes.
    #[test]
    fn aks_checks_never_panic_on_malformed_clusters(props in aks_value(), flat in aks_value(), body in aks_value()) {
        use aksguard::config::Config;
        use aksguard::engine::{Input, scan};
        let mut az = serde_json::json!({"type": "Microsoft.ContainerService/ManagedClusters", "name": "az", "agentPoolProfiles": []});
        if let (Some(m), serde_json::Value::Object(f)) = (az.as_object_mut(), flat) {
            m.extend(f);
            m.insert("type".into(), "Microsoft.ContainerService/ManagedClusters".into());
            m.insert("agentPoolProfiles".into(), serde_json::json!([]));
        }
        let docs = [
            ("rest.json", serde_json::json!({"type": "Microsoft.ContainerService/managedClusters", "name": "rest", "properties": props})),
            ("az.json", az),
            ("template.json", serde_json::json!({
                "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                "parameters": {"x": {"type": "string", "defaultValue": "[concat('a', parameters('x'))]"}},
                "resources": [{"type": "Microsoft.ContainerService/managedClusters", "name": "tpl", "apiVersion": "2024-09-01", "properties": body}]})),
        ];
        let dir = tempfile::tempdir().unwrap();
        let inputs: Vec<Input> = docs
            .iter()
            .map(|(name, doc)| {
                let p = dir.path().join(name);
                std::fs::write(&p, doc.to_string()).unwrap();
                Input::Path(p)
            })
            .collect();
        let r = scan(&inputs, &Config::default());
        // The az document and the template always describe a cluster (the REST one only when
        // its properties are an object).
        prop_assert!(r.stats.clusters >= 2, "{:?} {:?}", r.errors, r.notes);
    }
}
