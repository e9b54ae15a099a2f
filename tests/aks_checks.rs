//! Every AKS check on small clusters that pass and fail it, each written both as an ARM REST
//! resource and as `az aks show` output (properties flattened): both shapes must give the
//! expected status. The cases start from a minimal cluster and change only what the control
//! reads, so a check that judged the wrong property fails here.

use std::path::PathBuf;

use aksguard::aks::versions::Date;
use aksguard::config::Config;
use aksguard::engine::{Input, scan};
use aksguard::model::Status;
use serde_json::{Value, json};

fn base() -> Value {
    json!({
        "id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks1",
        "name": "aks1",
        "type": "Microsoft.ContainerService/managedClusters",
        "location": "westeurope",
        "properties": {
            "kubernetesVersion": "1.34.3",
            "dnsPrefix": "aks1",
            "agentPoolProfiles": [
                {"name": "system", "mode": "System", "count": 3, "vmSize": "Standard_D4ds_v5", "orchestratorVersion": "1.34.3"}
            ]
        }
    })
}

fn merge(a: &mut Value, b: &Value) {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (a, b) => *a = b.clone(),
    }
}

fn flatten(rest: &Value) -> Value {
    let mut out = rest.as_object().unwrap().clone();
    let props = out.remove("properties").unwrap();
    for (k, v) in props.as_object().unwrap() {
        out.insert(k.clone(), v.clone());
    }
    out.insert(
        "type".into(),
        json!("Microsoft.ContainerService/ManagedClusters"),
    );
    out.insert("resourceGroup".into(), json!("rg"));
    Value::Object(out)
}

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("aksguard-aks-checks-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Status of `control` when scanning `doc` (written to `name`).
fn status_of(control: &str, doc: &Value, name: &str) -> (Status, Vec<String>) {
    let path = dir().join(name);
    std::fs::write(&path, serde_json::to_string_pretty(doc).unwrap()).unwrap();
    let config = Config {
        include_passed: true,
        as_of: Some(Date::parse("2026-06-15").unwrap()),
        ..Config::default()
    };
    let r = scan(&[Input::Path(path)], &config);
    assert!(r.errors.is_empty(), "{name}: {:?}", r.errors);
    assert_eq!(r.stats.clusters, 1, "{name}: one cluster");
    let c = r
        .controls
        .iter()
        .find(|c| c.control.id == control)
        .unwrap_or_else(|| panic!("no control {control}"));
    let messages = r
        .findings
        .iter()
        .filter(|f| f.control == control)
        .map(|f| format!("{} {}", f.status, f.message))
        .collect();
    (c.status, messages)
}

fn case(control: &str, patch: Value, expected: Status) {
    let mut rest = base();
    merge(&mut rest, &patch);
    for (shape, doc) in [("rest", rest.clone()), ("az", flatten(&rest))] {
        let name = format!("{control}-{shape}-{}.json", expected.as_str());
        let (got, messages) = status_of(control, &doc, &name);
        assert_eq!(
            got, expected,
            "{control} on the {shape} shape of {patch}: {messages:#?}"
        );
    }
}

/// A case only the REST shape can express (`properties` that is not an object).
fn case_rest(control: &str, patch: Value, expected: Status) {
    let mut rest = base();
    merge(&mut rest, &patch);
    let name = format!("{control}-rest-only-{}.json", expected.as_str());
    let (got, messages) = status_of(control, &rest, &name);
    assert_eq!(got, expected, "{control} on {patch}: {messages:#?}");
}

use Status::{Fail, NotApplicable, NotEvaluated, Pass};

fn pool(extra: Value) -> Value {
    let mut p = json!({"name": "system", "mode": "System", "count": 3, "vmSize": "Standard_D4ds_v5", "orchestratorVersion": "1.34.3"});
    merge(&mut p, &extra);
    json!({"properties": {"agentPoolProfiles": [p]}})
}

fn pools(list: Value) -> Value {
    json!({"properties": {"agentPoolProfiles": list}})
}

#[test]
fn control_plane() {
    case(
        "CP-001",
        json!({"properties": {"apiServerAccessProfile": {"enablePrivateCluster": true}}}),
        Pass,
    );
    case(
        "CP-001",
        json!({"properties": {"apiServerAccessProfile": {"enablePrivateCluster": false}}}),
        Fail,
    );
    case("CP-001", json!({}), Fail);

    case(
        "CP-002",
        json!({"properties": {"apiServerAccessProfile": {"enablePrivateCluster": true}}}),
        NotApplicable,
    );
    case(
        "CP-002",
        json!({"properties": {"apiServerAccessProfile": {"authorizedIPRanges": ["203.0.113.0/24"]}}}),
        Pass,
    );
    case(
        "CP-002",
        json!({"properties": {"apiServerAccessProfile": {"authorizedIPRanges": ["203.0.113.0/24", "0.0.0.0/0"]}}}),
        Fail,
    );
    case(
        "CP-002",
        json!({"properties": {"apiServerAccessProfile": {"authorizedIPRanges": []}}}),
        Fail,
    );
    case("CP-002", json!({}), Fail);
    // API versions 2019-02-01 to 2019-06-01 kept the ranges at the top of properties.
    case(
        "CP-002",
        json!({"properties": {"apiServerAuthorizedIPRanges": ["203.0.113.0/24"]}}),
        Pass,
    );
    case(
        "CP-002",
        json!({"properties": {"apiServerAuthorizedIPRanges": ["0.0.0.0/0"]}}),
        Fail,
    );

    case(
        "CP-003",
        json!({"properties": {"apiServerAccessProfile": {"enablePrivateCluster": true, "enablePrivateClusterPublicFQDN": true}}}),
        Fail,
    );
    case(
        "CP-003",
        json!({"properties": {"apiServerAccessProfile": {"enablePrivateCluster": true}}}),
        Pass,
    );
    case("CP-003", json!({}), NotApplicable);

    case(
        "CP-004",
        json!({"properties": {"apiServerAccessProfile": {"disableRunCommand": true}}}),
        Pass,
    );
    case("CP-004", json!({}), Fail);

    case(
        "CP-005",
        json!({"properties": {"autoUpgradeProfile": {"upgradeChannel": "patch"}}}),
        Pass,
    );
    case(
        "CP-005",
        json!({"properties": {"autoUpgradeProfile": {"upgradeChannel": "none"}}}),
        Fail,
    );
    case("CP-005", json!({}), Fail);

    // As of 2026-06-15: 1.34 is supported; 1.31 left standard support (LTS only on Premium
    // with the AKSLongTermSupport plan); 1.37 is not GA yet; 1.99 is not in the calendar.
    case("CP-006", json!({}), Pass);
    case(
        "CP-006",
        json!({"properties": {"kubernetesVersion": "1.31.2"}}),
        Fail,
    );
    case(
        "CP-006",
        json!({"sku": {"tier": "Premium"}, "properties": {"kubernetesVersion": "1.31.2", "supportPlan": "AKSLongTermSupport", "agentPoolProfiles": [{"name": "system", "orchestratorVersion": "1.31.2"}]}}),
        Pass,
    );
    case(
        "CP-006",
        pool(json!({"orchestratorVersion": "1.30.1"})),
        Fail,
    );
    case(
        "CP-006",
        json!({"properties": {"kubernetesVersion": "1.37.0", "agentPoolProfiles": [{"name": "system", "orchestratorVersion": null}]}}),
        Fail,
    );
    case(
        "CP-006",
        json!({"properties": {"kubernetesVersion": "1.99.0", "agentPoolProfiles": [{"name": "system", "orchestratorVersion": null}]}}),
        NotEvaluated,
    );

    case(
        "CP-007",
        json!({"properties": {"autoUpgradeProfile": {"nodeOSUpgradeChannel": "SecurityPatch"}}}),
        Pass,
    );
    case(
        "CP-007",
        json!({"properties": {"autoUpgradeProfile": {"nodeOSUpgradeChannel": "None"}}}),
        Fail,
    );
    case(
        "CP-007",
        json!({"properties": {"autoUpgradeProfile": {"nodeOSUpgradeChannel": "Unmanaged"}}}),
        Fail,
    );

    case(
        "CP-008",
        pool(json!({"securityProfile": {"sshAccess": "Disabled"}})),
        Pass,
    );
    case(
        "CP-008",
        pool(json!({"securityProfile": {"sshAccess": "LocalUser"}})),
        Fail,
    );
    case("CP-008", json!({}), Fail);

    case("CP-009", pool(json!({"osSKU": "AzureLinux"})), Pass);
    case("CP-009", pool(json!({"osSKU": "CBLMariner"})), Fail);

    case(
        "CP-010",
        pools(json!([
            {"name": "system", "mode": "System", "nodeTaints": ["CriticalAddonsOnly=true:NoSchedule"]},
            {"name": "apps", "mode": "User"}
        ])),
        Pass,
    );
    case(
        "CP-010",
        pools(json!([
            {"name": "system", "mode": "System"},
            {"name": "apps", "mode": "User"}
        ])),
        Fail,
    );
    case("CP-010", json!({}), Fail);

    case(
        "CP-011",
        json!({"properties": {"addonProfiles": {"kubeDashboard": {"enabled": true}}}}),
        Fail,
    );
    case(
        "CP-011",
        json!({"properties": {"addonProfiles": {"httpApplicationRouting": {"enabled": true}}}}),
        Fail,
    );
    case(
        "CP-011",
        json!({"properties": {"addonProfiles": {"httpApplicationRouting": {"enabled": false}}}}),
        Pass,
    );

    case(
        "CP-012",
        json!({"sku": {"name": "Base", "tier": "Standard"}}),
        Pass,
    );
    case(
        "CP-012",
        json!({"sku": {"name": "Base", "tier": "Free"}}),
        Fail,
    );

    case(
        "CP-013",
        pool(json!({"availabilityZones": ["1", "2", "3"]})),
        Pass,
    );
    case("CP-013", pool(json!({"availabilityZones": ["1"]})), Fail);

    case("CP-014", pool(json!({"osDiskType": "Ephemeral"})), Pass);
    case("CP-014", pool(json!({"osDiskType": "Managed"})), Fail);
    case("CP-014", json!({}), NotEvaluated);

    case(
        "CP-015",
        pool(
            json!({"hostGroupID": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Compute/hostGroups/hg"}),
        ),
        Pass,
    );
    case("CP-015", json!({}), Fail);
}

#[test]
fn network_identity_and_data() {
    case(
        "NE-001",
        pool(
            json!({"vnetSubnetID": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"}),
        ),
        Pass,
    );
    case("NE-001", json!({}), Fail);
    case(
        "NE-002",
        json!({"properties": {"networkProfile": {"outboundType": "userDefinedRouting"}}}),
        Pass,
    );
    case(
        "NE-002",
        json!({"properties": {"networkProfile": {"outboundType": "loadBalancer"}}}),
        Fail,
    );
    case("NE-002", json!({}), Fail);
    case("NE-003", pool(json!({"enableNodePublicIP": true})), Fail);
    case("NE-003", json!({}), Pass);
    case(
        "NE-005",
        json!({"properties": {"networkProfile": {"loadBalancerSku": "basic"}}}),
        Fail,
    );
    case(
        "NE-005",
        json!({"properties": {"networkProfile": {"loadBalancerSku": "Standard"}}}),
        Pass,
    );

    case(
        "AD-001",
        json!({"properties": {"addonProfiles": {"azurepolicy": {"enabled": true}}}}),
        Pass,
    );
    case("AD-001", json!({}), Fail);

    case(
        "NW-001",
        json!({"properties": {"networkProfile": {"networkPolicy": "calico"}}}),
        Pass,
    );
    case(
        "NW-001",
        json!({"properties": {"networkProfile": {"networkPolicy": "none"}}}),
        Fail,
    );
    case(
        "NW-001",
        json!({"properties": {"networkProfile": {"networkDataplane": "cilium"}}}),
        Pass,
    );
    case("NW-001", json!({}), Fail);

    case(
        "ID-003",
        json!({"properties": {"aadProfile": {"managed": true, "enableAzureRBAC": true}}}),
        Pass,
    );
    case(
        "ID-003",
        json!({"properties": {"aadProfile": {"managed": true}}}),
        Fail,
    );
    case("ID-003", json!({}), Fail);
    case(
        "ID-004",
        json!({"properties": {"disableLocalAccounts": true}}),
        Pass,
    );
    case(
        "ID-004",
        json!({"properties": {"disableLocalAccounts": false}}),
        Fail,
    );
    case("ID-005", json!({"properties": {"enableRBAC": false}}), Fail);
    case("ID-005", json!({"properties": {"enableRBAC": true}}), Pass);
    // Before API version 2018-03-31 there was no enableRBAC: no Kubernetes RBAC.
    case("ID-005", json!({"apiVersion": "2017-08-31"}), Fail);
    // Settings of the wrong type are not judged by their defaults.
    case_rest("ID-005", json!({"properties": "yes"}), NotEvaluated);
    case(
        "CP-011",
        json!({"properties": {"addonProfiles": "yo"}}),
        NotEvaluated,
    );
    case(
        "ID-006",
        json!({"identity": {"type": "UserAssigned", "userAssignedIdentities": {"/subscriptions/0/x": {}}}}),
        Pass,
    );
    case(
        "ID-006",
        json!({"properties": {"servicePrincipalProfile": {"clientId": "11111111-2222-3333-4444-555555555555"}}}),
        Fail,
    );
    case(
        "ID-006",
        json!({"properties": {"servicePrincipalProfile": {"clientId": "msi"}}}),
        NotEvaluated,
    );
    case(
        "ID-007",
        json!({"properties": {"oidcIssuerProfile": {"enabled": true}, "securityProfile": {"workloadIdentity": {"enabled": true}}}}),
        Pass,
    );
    case(
        "ID-007",
        json!({"properties": {"oidcIssuerProfile": {"enabled": true}}}),
        Fail,
    );

    case(
        "OB-002",
        json!({"properties": {"addonProfiles": {"omsagent": {"enabled": true}}}}),
        Pass,
    );
    case(
        "OB-002",
        json!({"properties": {"azureMonitorProfile": {"metrics": {"enabled": true}}}}),
        Pass,
    );
    case("OB-002", json!({}), Fail);
    case(
        "OB-004",
        json!({"properties": {"securityProfile": {"defender": {"securityMonitoring": {"enabled": true}}}}}),
        Pass,
    );
    case("OB-004", json!({}), Fail);

    case(
        "DP-001",
        json!({"properties": {"securityProfile": {"azureKeyVaultKms": {"enabled": true, "keyId": "https://kv.vault.azure.net/keys/k/1"}}}}),
        Pass,
    );
    case("DP-001", json!({}), Fail);
    case(
        "DP-002",
        pool(json!({"enableEncryptionAtHost": true})),
        Pass,
    );
    case("DP-002", json!({}), Fail);
    case(
        "DP-003",
        json!({"properties": {"diskEncryptionSetID": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Compute/diskEncryptionSets/des"}}),
        Pass,
    );
    case("DP-003", json!({}), Fail);
    case("DP-006", pool(json!({"enableFIPS": true})), Pass);
    case("DP-006", json!({}), Fail);

    case(
        "SC-004",
        json!({"identity": {"type": "SystemAssigned"}}),
        Pass,
    );
    case("SC-004", json!({}), NotEvaluated);
    case(
        "SC-008",
        json!({"properties": {"securityProfile": {"imageCleaner": {"enabled": true, "intervalHours": 48}}}}),
        Pass,
    );
    case("SC-008", json!({}), Fail);
    case(
        "SC-009",
        json!({"properties": {"securityProfile": {"imageIntegrity": {"enabled": true}}}}),
        Pass,
    );
    case("SC-009", json!({}), Fail);
    case(
        "SH-001",
        json!({"properties": {"addonProfiles": {"azureKeyvaultSecretsProvider": {"enabled": true, "config": {"enableSecretRotation": "true"}}}}}),
        Pass,
    );
    case(
        "SH-001",
        json!({"properties": {"addonProfiles": {"azureKeyvaultSecretsProvider": {"enabled": true, "config": {"enableSecretRotation": "false"}}}}}),
        Fail,
    );
    case("SH-001", json!({}), Fail);
}

#[test]
fn findings_name_the_cluster_and_the_property_line() {
    let mut rest = base();
    merge(
        &mut rest,
        &json!({"properties": {"apiServerAccessProfile": {"enablePrivateCluster": false}}}),
    );
    let path = dir().join("located.json");
    std::fs::write(&path, serde_json::to_string_pretty(&rest).unwrap()).unwrap();
    let r = scan(&[Input::Path(path.clone())], &Config::default());
    let f = r.findings.iter().find(|f| f.control == "CP-001").unwrap();
    let obj = f.object.as_ref().unwrap();
    assert_eq!(obj.kind, "ManagedCluster");
    assert_eq!(obj.name, "aks1");
    assert!(
        obj.id
            .as_deref()
            .unwrap()
            .ends_with("/managedClusters/aks1")
    );
    let loc = f.location.as_ref().unwrap();
    assert_eq!(
        loc.path.as_deref(),
        Some("/properties/apiServerAccessProfile/enablePrivateCluster")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("enablePrivateCluster"))
        .unwrap()
        + 1;
    assert_eq!(loc.line, Some(line as u32));
    assert!(f.fix.as_deref().unwrap().contains("az aks update"));
}
