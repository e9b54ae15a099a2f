//! Cluster-wide checks: secrets.
//!
//! Messages name keys and locations only: a value never appears in a message.

use serde_json::Value;

use super::super::{Ctx, InventoryCheck, ObjectCheck, Verdicts, with_pod};
use crate::inventory::WORKLOADS;
use crate::k8s::Object;

/// Per-object checks of this family.
pub static OBJECT_CHECKS: &[ObjectCheck] = &[
    ObjectCheck {
        control: "SH-004",
        kinds: &["Secret"],
        run: secret_manifests,
    },
    ObjectCheck {
        control: "SH-006",
        kinds: &["ConfigMap", WORKLOADS],
        run: configmap_secrets,
    },
    ObjectCheck {
        control: "SH-003",
        kinds: &["SecretProviderClass", WORKLOADS],
        run: secret_provider_class_identity,
    },
];

/// Checks over the whole inventory of this family.
pub static INVENTORY_CHECKS: &[InventoryCheck] = &[];

/// A core `v1` Secret.
pub(crate) fn is_secret(obj: &Object) -> bool {
    obj.kind() == "Secret" && obj.api_version() == "v1"
}

/// Keys of `data` / `stringData` whose value is not empty.
fn filled_keys(map: Option<&Value>) -> Vec<&str> {
    map.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(_, v)| match v {
                    Value::Null => false,
                    Value::String(s) => !s.is_empty(),
                    _ => true,
                })
                .map(|(k, _)| k.as_str())
                .collect()
        })
        .unwrap_or_default()
}

fn key_list(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// SH-004: a `v1` Secret in the scanned files carries no values in data or stringData (SOPS
/// encrypted files excepted).
pub fn secret_manifests(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    if !is_secret(obj) {
        return;
    }
    if obj.value.get("sops").is_some_and(Value::is_object) {
        out.pass("the Secret is encrypted with SOPS (a `sops` metadata block) in the scanned file");
        return;
    }
    for field in ["data", "stringData"] {
        let keys = filled_keys(obj.value.get(field));
        if !keys.is_empty() {
            out.fail(
                obj.path(&[field]),
                format!(
                    "the scanned manifest carries Secret values in {field} for key{} {} ({})",
                    if keys.len() == 1 { "" } else { "s" },
                    key_list(&keys),
                    if field == "data" {
                        "base64 is an encoding, not encryption"
                    } else {
                        "in plain text"
                    }
                ),
            );
        }
    }
    out.pass_if_clean(
        "the Secret carries no values in the scanned manifest (data and stringData are empty)",
    );
}

/// SH-006: ConfigMap entries and literal container env values that look like credentials.
pub fn configmap_secrets(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    if obj.kind() == "ConfigMap" && obj.api_version() == "v1" {
        configmap_entries(obj, out);
        return;
    }
    with_pod(obj, out, |pod, out| {
        for c in pod.containers() {
            let Some(env) = c.value.get("env").and_then(Value::as_array) else {
                continue;
            };
            for (i, e) in env.iter().enumerate() {
                let Some(e) = e.as_object() else { continue };
                let name = e.get("name").and_then(Value::as_str).unwrap_or("<unnamed>");
                let Some(value) = e.get("value").and_then(Value::as_str) else {
                    continue; // valueFrom (secretKeyRef, ...) or no value
                };
                let mut reasons = Vec::new();
                if detect::sensitive_name(name) && detect::plausible_value(value) {
                    reasons.push(detect::Reason::KeyName.describe().to_string());
                }
                reasons.extend(
                    detect::token_formats(value)
                        .into_iter()
                        .map(|r| r.describe().to_string()),
                );
                if !reasons.is_empty() {
                    out.fail(
                        c.path.keys(&["env"]).index(i).key("value"),
                        format!(
                            "{} sets env `{name}` to a literal value that looks like a credential ({}); read it from a Secret with valueFrom.secretKeyRef",
                            c.describe(),
                            reasons.join(", ")
                        ),
                    );
                }
            }
        }
        out.pass_if_clean("no literal container env value looks like a credential");
    });
}

fn configmap_entries(obj: &Object, out: &mut Verdicts) {
    if let Some(data) = obj.value.get("data").and_then(Value::as_object) {
        for (key, value) in data {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Null => continue,
                other => other.to_string(),
            };
            let reasons = detect::configmap_entry(key, &text);
            if !reasons.is_empty() {
                out.fail(
                    obj.path(&["data", key]),
                    format!(
                        "ConfigMap key `{key}` looks like confidential data ({}); confirm it is not a credential or move it to a Secret or Key Vault",
                        reasons.join("; ")
                    ),
                );
            }
        }
    }
    if let Some(bin) = obj.value.get("binaryData").and_then(Value::as_object) {
        for key in bin.keys() {
            if detect::sensitive_name(key) {
                out.fail(
                    obj.path(&["binaryData", key]),
                    format!(
                        "ConfigMap binaryData key `{key}` looks like confidential data ({}); confirm it is not a credential or move it to a Secret or Key Vault",
                        detect::Reason::KeyName.describe()
                    ),
                );
            }
        }
    }
    out.pass_if_clean(
        "no ConfigMap entry looks like a credential (key names, token formats, entropy)",
    );
}

/// `8-4-4-4-12` hexadecimal digits (an Entra ID client ID).
fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A SecretProviderClass parameter set to true (`"true"`, any case; a YAML boolean too).
fn param_true(params: Option<&Value>, key: &str) -> bool {
    match params.and_then(|p| p.get(key)) {
        Some(Value::String(s)) => s.trim().eq_ignore_ascii_case("true"),
        Some(Value::Bool(b)) => *b,
        _ => false,
    }
}

/// SH-003: an Azure SecretProviderClass authenticates with a workload identity client ID,
/// not the node's managed identity, AAD Pod Identity or a service principal Secret; pods do not
/// hand the CSI driver a service principal Secret (nodePublishSecretRef).
pub fn secret_provider_class_identity(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        for (v, path) in pod.volumes() {
            let Some(csi) = v.get("csi") else { continue };
            if csi.get("driver").and_then(Value::as_str) != Some("secrets-store.csi.k8s.io") {
                continue;
            }
            if let Some(name) = csi
                .get("nodePublishSecretRef")
                .and_then(|r| r.get("name"))
                .and_then(Value::as_str)
            {
                out.fail(
                    path.keys(&["csi", "nodePublishSecretRef"]),
                    format!(
                        "volume `{}` authenticates the Secrets Store CSI driver with the static credentials of Secret `{name}` (nodePublishSecretRef); use a workload identity clientID in the SecretProviderClass",
                        v.get("name").and_then(Value::as_str).unwrap_or("<unnamed>")
                    ),
                );
            }
        }
    });
    if obj.kind() != "SecretProviderClass"
        || crate::inventory::api_group(obj.api_version()) != "secrets-store.csi.x-k8s.io"
    {
        return;
    }
    let spec = obj.value.get("spec");
    if spec.and_then(|s| s.get("provider")).and_then(Value::as_str) != Some("azure") {
        return;
    }
    let params = spec.and_then(|s| s.get("parameters"));
    let ppath = |k: &str| obj.path(&["spec", "parameters", k]);
    let vm = param_true(params, "useVMManagedIdentity");
    let pod_identity = param_true(params, "usePodIdentity");
    if vm {
        out.fail(
            ppath("useVMManagedIdentity"),
            "authenticates to Key Vault with the node's (kubelet or VM) managed identity, which every pod on the node can use; set clientID to a workload identity client ID",
        );
    }
    if pod_identity {
        out.fail(
            ppath("usePodIdentity"),
            "authenticates to Key Vault with AAD Pod Identity, which is deprecated; set clientID to a workload identity client ID",
        );
    }
    if !vm && !pod_identity {
        match params
            .and_then(|p| p.get("clientID"))
            .and_then(Value::as_str)
            .map(str::trim)
        {
            Some(id) if is_guid(id) => out.pass(
                "authenticates to Key Vault with a workload identity client ID (parameters.clientID)",
            ),
            Some(id) if !id.is_empty() => out.fail(
                ppath("clientID"),
                "sets a clientID that is not a client ID (a GUID)",
            ),
            _ => out.fail(
                ppath("clientID"),
                "sets no clientID, so the driver authenticates with the service principal Secret of the pod volume's nodePublishSecretRef; set clientID to a workload identity client ID",
            ),
        }
    }
}

/// Heuristics that tell whether a key or a value looks like a credential.
pub mod detect {
    /// Why an entry looks like a credential.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Reason {
        KeyName,
        PemPrivateKey,
        AwsAccessKey,
        GitHubToken,
        SlackToken,
        AzureKey,
        Jwt,
        UrlCredentials,
        ConnectionStringPassword,
        HighEntropy,
    }

    impl Reason {
        pub fn describe(self) -> &'static str {
            match self {
                Reason::KeyName => "key name looks like a credential",
                Reason::PemPrivateKey => "looks like a PEM private key",
                Reason::AwsAccessKey => "looks like an AWS access key id",
                Reason::GitHubToken => "looks like a GitHub token",
                Reason::SlackToken => "looks like a Slack token",
                Reason::AzureKey => {
                    "looks like an Azure account key, shared access key or SAS signature"
                }
                Reason::Jwt => "looks like a JSON Web Token",
                Reason::UrlCredentials => "URL with a password in it",
                Reason::ConnectionStringPassword => "connection string with a password",
                Reason::HighEntropy => "high-entropy string",
            }
        }
    }

    /// Words of a key: split on anything not alphanumeric and on camelCase boundaries,
    /// lowercased (`AZURE_CLIENT_SECRET` → azure client secret, `apiKey` → api key,
    /// `APIKey` → api key).
    pub fn words(key: &str) -> Vec<String> {
        let mut out = Vec::new();
        for part in key.split(|c: char| !c.is_ascii_alphanumeric()) {
            let chars: Vec<char> = part.chars().collect();
            let mut cur = String::new();
            for (i, &c) in chars.iter().enumerate() {
                let prev = i.checked_sub(1).map(|p| chars[p]);
                let next = chars.get(i + 1).copied();
                let boundary = c.is_ascii_uppercase()
                    && prev.is_some_and(|p| {
                        p.is_ascii_lowercase()
                            || p.is_ascii_digit()
                            || (p.is_ascii_uppercase()
                                && next.is_some_and(|n| n.is_ascii_lowercase()))
                    });
                if boundary && !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                cur.push(c.to_ascii_lowercase());
            }
            if !cur.is_empty() {
                out.push(cur);
            }
        }
        out
    }

    /// One-word credential names.
    const SINGLE: &[&str] = &[
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "token",
        "apikey",
        "privatekey",
        "connectionstring",
        "connstr",
        "accesskey",
        "secretkey",
        "accountkey",
        "sastoken",
        "clientsecret",
        "credential",
        "credentials",
        "authtoken",
    ];

    /// Two-word credential names.
    const PAIRS: &[(&str, &str)] = &[
        ("api", "key"),
        ("private", "key"),
        ("connection", "string"),
        ("conn", "str"),
        ("access", "key"),
        ("account", "key"),
        ("storage", "key"),
        ("signing", "key"),
        ("encryption", "key"),
        ("master", "key"),
        ("shared", "key"),
    ];

    /// Words after a credential word that make the key describe the credential rather than
    /// hold it (`token_ttl_seconds`, `PASSWORD_FILE`, `secret_name`, `api_key_header`).
    const QUALIFIERS: &[&str] = &[
        "ttl",
        "seconds",
        "secs",
        "sec",
        "ms",
        "minutes",
        "mins",
        "hours",
        "days",
        "expiry",
        "expires",
        "expiration",
        "lifetime",
        "age",
        "duration",
        "timeout",
        "interval",
        "url",
        "uri",
        "endpoint",
        "host",
        "port",
        "path",
        "file",
        "filename",
        "dir",
        "directory",
        "location",
        "name",
        "names",
        "ref",
        "reference",
        "length",
        "len",
        "min",
        "max",
        "policy",
        "complexity",
        "header",
        "type",
        "mode",
        "enabled",
        "enable",
        "disabled",
        "required",
        "audience",
        "issuer",
        "size",
        "count",
        "limit",
        "format",
        "algorithm",
        "alg",
        "field",
        "env",
        "var",
        "mount",
        "provider",
        "class",
        "store",
        "version",
        "id",
        "prefix",
        "suffix",
        "label",
        "annotation",
        "selector",
        "rotation",
        "schedule",
        "regex",
        "pattern",
        "template",
        "scope",
        "scopes",
        "kind",
        "source",
        "key",
    ];

    /// Words before a credential word that make the key a setting about it
    /// (`existingSecret`, `useToken`, `createSecret`).
    const NEGATORS: &[&str] = &[
        "existing", "use", "enable", "create", "generate", "rotate", "mount", "no", "skip", "from",
    ];

    /// The key names a credential (password, secret, token, api key, private key, connection
    /// string, access/account key, client secret, credentials), as a whole word, not followed by
    /// a word that makes it a setting about the credential.
    pub fn sensitive_name(key: &str) -> bool {
        let w = words(key);
        for i in 0..w.len() {
            // `DB_PASS`, `REDIS_PASS`: `pass` only as the last word (not `PASS_THROUGH`).
            let last_pass = i + 1 == w.len() && w[i] == "pass";
            let len = if SINGLE.contains(&w[i].as_str()) || last_pass {
                1
            } else if i + 1 < w.len() && PAIRS.contains(&(w[i].as_str(), w[i + 1].as_str())) {
                2
            } else {
                continue;
            };
            // `secret_key`, `private_key`: `key` qualifies only when it is not part of the name.
            let after = &w[i + len..];
            let qualified = after.iter().any(|a| {
                QUALIFIERS.contains(&a.as_str())
                    && !(a == "key" && len == 1 && matches!(w[i].as_str(), "secret" | "private"))
            });
            let negated = i > 0 && NEGATORS.contains(&w[i - 1].as_str());
            if !qualified && !negated {
                return true;
            }
        }
        false
    }

    fn is_placeholder(v: &str) -> bool {
        let v = v.trim();
        v.starts_with("${")
            || v.starts_with("$(")
            || v.starts_with("{{")
            || v.starts_with("%(")
            || v.starts_with("#{")
            || (v.starts_with('<') && v.ends_with('>'))
            || (v.starts_with('$')
                && v.len() > 1
                && v[1..]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_'))
            || v.starts_with("@Microsoft.KeyVault(")
            || v.starts_with("secretref:")
            || v.starts_with("vault:")
            || v.starts_with("keyvault:")
    }

    /// A value that could be a credential: not empty, a boolean, a placeholder or reference,
    /// a file path, a masked value, or a URL without credentials.
    pub fn plausible_value(v: &str) -> bool {
        let t = v.trim().trim_matches(['"', '\'']);
        if t.is_empty() || is_placeholder(t) {
            return false;
        }
        if matches!(
            t.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "none" | "nil" | "~"
        ) {
            return false;
        }
        let first = t.chars().next().unwrap_or(' ');
        if t.chars().all(|c| c == first) && t.len() > 1 && !first.is_ascii_alphanumeric() {
            return false; // `*****`
        }
        let is_path = !t.contains(char::is_whitespace)
            && (t.starts_with('/')
                || t.starts_with("./")
                || t.starts_with("../")
                || t.starts_with("~/")
                || t.starts_with("file:")
                || (t.len() > 2 && t.as_bytes()[1] == b':' && t.as_bytes()[2] == b'\\'));
        if is_path {
            return false;
        }
        if t.contains("://") && !url_credentials(t) {
            return false;
        }
        true
    }

    /// Token formats found in a value (each reason once).
    pub fn token_formats(v: &str) -> Vec<Reason> {
        let mut out = Vec::new();
        // Every format below needs one of these; most values have none (one cheap pass each
        // instead of nine scans, some of them over a lower-cased copy).
        const TRIGGERS: &[&str] = &[
            "-----BEGIN",
            "AKIA",
            "ASIA",
            "ghp_",
            "github_pat_",
            "xox",
            "=",
            "eyJ",
            "://",
        ];
        if !TRIGGERS.iter().any(|t| v.contains(t)) {
            return out;
        }
        let checks: [(bool, Reason); 9] = [
            (pem_private_key(v), Reason::PemPrivateKey),
            (aws_access_key(v), Reason::AwsAccessKey),
            (github_token(v), Reason::GitHubToken),
            (slack_token(v), Reason::SlackToken),
            (azure_key(v), Reason::AzureKey),
            (jwt(v), Reason::Jwt),
            (url_credentials(v), Reason::UrlCredentials),
            (
                connection_string_password(v),
                Reason::ConnectionStringPassword,
            ),
            (false, Reason::HighEntropy),
        ];
        for (hit, r) in checks {
            if hit {
                out.push(r);
            }
        }
        out
    }

    /// Everything that makes a ConfigMap entry look confidential, as messages: key name,
    /// token formats, high entropy (single-line values), and settings of an embedded
    /// configuration file whose names look like credentials (`spring.datasource.password=...`).
    pub fn configmap_entry(key: &str, value: &str) -> Vec<String> {
        let mut out = Vec::new();
        let multi_line = value.trim().contains('\n');
        if sensitive_name(key) && plausible_value(value) && !multi_line {
            out.push(Reason::KeyName.describe().to_string());
        }
        let formats = token_formats(value);
        out.extend(formats.iter().map(|r| r.describe().to_string()));
        if multi_line {
            let keys = embedded_secret_settings(value);
            if !keys.is_empty() {
                out.push(format!(
                    "embedded setting{} {} with a literal value",
                    if keys.len() == 1 { "" } else { "s" },
                    keys.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            } else if sensitive_name(key) && plausible_value(value) && formats.is_empty() {
                // A multi-line value under a credential name (`ssh_key`, `credentials`).
                out.push(Reason::KeyName.describe().to_string());
            }
        } else if formats.is_empty() && high_entropy(value) {
            out.push(Reason::HighEntropy.describe().to_string());
        }
        out
    }

    /// Settings of an embedded configuration file (properties, env, YAML, JSON, INI lines)
    /// whose names look like credentials and whose values are literal.
    pub fn embedded_secret_settings(text: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for line in text.lines() {
            let line = line.trim().trim_start_matches("export ").trim();
            if line.is_empty()
                || line.starts_with('#')
                || line.starts_with("//")
                || line.starts_with(';')
                || line.starts_with('!')
            {
                continue;
            }
            let line = line.trim_start_matches("- ");
            let Some(pos) = line.find(['=', ':']) else {
                continue;
            };
            let key = line[..pos].trim().trim_matches(['"', '\'']);
            if key.is_empty()
                || !key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            {
                continue;
            }
            let value = line[pos + 1..]
                .trim()
                .trim_end_matches(',')
                .trim()
                .trim_matches(['"', '\'']);
            if value.starts_with(['{', '[', '|', '>', '&', '*', '!']) {
                continue; // nested structure, block scalar, YAML anchor/alias/tag
            }
            if sensitive_name(key) && plausible_value(value) && !out.iter().any(|k| k == key) {
                out.push(key.to_string());
            }
        }
        out
    }

    fn boundary_before(s: &str, i: usize) -> bool {
        s[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric())
    }

    pub fn pem_private_key(v: &str) -> bool {
        v.match_indices("-----BEGIN ").any(|(i, _)| {
            let rest = &v[i + 11..];
            let line = rest.split("-----").next().unwrap_or("");
            line.ends_with("PRIVATE KEY") || line.ends_with("PRIVATE KEY BLOCK")
        })
    }

    pub fn aws_access_key(v: &str) -> bool {
        ["AKIA", "ASIA"].iter().any(|p| {
            v.match_indices(p).any(|(i, _)| {
                let rest = &v.as_bytes()[i + 4..];
                boundary_before(v, i)
                    && rest.len() >= 16
                    && rest[..16]
                        .iter()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                    && rest.get(16).is_none_or(|b| !b.is_ascii_alphanumeric())
            })
        })
    }

    fn run_len(s: &str, ok: impl Fn(u8) -> bool) -> usize {
        s.bytes().take_while(|&b| ok(b)).count()
    }

    pub fn github_token(v: &str) -> bool {
        let classic = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"].iter().any(|p| {
            v.match_indices(p).any(|(i, _)| {
                boundary_before(v, i) && run_len(&v[i + 4..], |b| b.is_ascii_alphanumeric()) >= 36
            })
        });
        classic
            || v.match_indices("github_pat_").any(|(i, _)| {
                boundary_before(v, i)
                    && run_len(&v[i + 11..], |b| b.is_ascii_alphanumeric() || b == b'_') >= 22
            })
    }

    pub fn slack_token(v: &str) -> bool {
        v.match_indices("xox").any(|(i, _)| {
            let rest = &v[i + 3..];
            let b = rest.as_bytes();
            boundary_before(v, i)
                && b.len() > 2
                && matches!(b[0], b'a' | b'b' | b'p' | b'o' | b'r' | b's')
                && b[1] == b'-'
                && run_len(&rest[2..], |c| c.is_ascii_alphanumeric() || c == b'-') >= 10
        })
    }

    /// `AccountKey=`, `SharedAccessKey=`, `SharedAccessSignature=` with a value, or a SAS URL
    /// (`sv=` and `sig=` query parameters).
    pub fn azure_key(v: &str) -> bool {
        let lower = v.to_ascii_lowercase();
        let keyed = ["accountkey=", "sharedaccesskey=", "sharedaccesssignature="]
            .iter()
            .any(|k| {
                lower.match_indices(k).any(|(i, _)| {
                    let val = v[i + k.len()..]
                        .split([';', '"', '\'', '\n', ' '])
                        .next()
                        .unwrap_or("");
                    boundary_before(v, i) && val.len() >= 8 && !is_placeholder(val)
                })
            });
        let param = |name: &str| {
            [b'?', b'&'].iter().any(|sep| {
                lower
                    .match_indices(name)
                    .any(|(i, _)| i > 0 && lower.as_bytes()[i - 1] == *sep)
            })
        };
        keyed || (param("sv=") && param("sig="))
    }

    pub fn jwt(v: &str) -> bool {
        v.match_indices("eyJ").any(|(i, _)| {
            if !boundary_before(v, i) {
                return false;
            }
            let len = run_len(&v[i..], |b| {
                b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')
            });
            let parts: Vec<&str> = v[i..i + len].split('.').collect();
            parts.len() == 3
                && parts[0].len() >= 10
                && parts[1].starts_with("eyJ")
                && parts[1].len() >= 10
                && parts[2].len() >= 10
        })
    }

    /// `scheme://user:password@host` with a literal password.
    pub fn url_credentials(v: &str) -> bool {
        v.match_indices("://").any(|(i, _)| {
            let scheme_ok = i > 0
                && v[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_alphanumeric());
            let authority = v[i + 3..]
                .split(['/', '?', '#', ' ', '\n', '"', '\'', ';', ','])
                .next()
                .unwrap_or("");
            let Some((userinfo, host)) = authority.rsplit_once('@') else {
                return false;
            };
            let Some((_, password)) = userinfo.split_once(':') else {
                return false;
            };
            scheme_ok
                && !host.is_empty()
                && !password.is_empty()
                && !is_placeholder(password)
                && !password.chars().all(|c| c == '*' || c == 'x' || c == 'X')
        })
    }

    /// `...;Password=...;` (ADO.NET, ODBC, JDBC-style key=value strings separated by `;`).
    pub fn connection_string_password(v: &str) -> bool {
        if !v.contains(';') {
            return false;
        }
        v.split(';').any(|part| {
            part.split_once('=').is_some_and(|(k, val)| {
                let k = k.trim().to_ascii_lowercase();
                let val = val.trim();
                matches!(k.as_str(), "password" | "pwd") && !val.is_empty() && !is_placeholder(val)
            })
        })
    }

    /// Shannon entropy in bits per character.
    pub fn shannon(s: &str) -> f64 {
        let mut counts = [0usize; 256];
        for b in s.bytes() {
            counts[b as usize] += 1;
        }
        let n = s.len() as f64;
        counts
            .iter()
            .filter(|&&c| c > 0)
            .map(|&c| {
                let p = c as f64 / n;
                -p * p.log2()
            })
            .sum()
    }

    /// Minimum length of a string judged by entropy.
    pub const ENTROPY_MIN_LEN: usize = 20;
    /// Entropy (bits per character) from which a base64-like string counts as random.
    pub const ENTROPY_THRESHOLD: f64 = 3.7;

    /// A single token of base64 / base64url characters, at least [`ENTROPY_MIN_LEN`] long,
    /// mixing upper case, lower case and digits, changing character class between at least
    /// 40% of neighbouring characters (camelCase words do not), with entropy of at least
    /// [`ENTROPY_THRESHOLD`]. Hex strings (digests, commit ids), UUIDs, paths, host names and
    /// URLs are not judged (their alphabets exclude them or they are skipped).
    pub fn high_entropy(v: &str) -> bool {
        let s = v.trim();
        if s.len() < ENTROPY_MIN_LEN || s.len() > 4096 || s.starts_with('/') {
            return false;
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
        {
            return false;
        }
        if s.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            return false;
        }
        let upper = s.bytes().any(|b| b.is_ascii_uppercase());
        let lower = s.bytes().any(|b| b.is_ascii_lowercase());
        let digit = s.bytes().any(|b| b.is_ascii_digit());
        upper && lower && digit && shannon(s) >= ENTROPY_THRESHOLD && class_changes(s) >= 0.4
    }

    /// Share of neighbouring characters of different classes (upper, lower, digit, other):
    /// about 0.65 for random base64, low for words and camelCase identifiers.
    pub fn class_changes(s: &str) -> f64 {
        let class = |b: u8| match b {
            b'A'..=b'Z' => 0,
            b'a'..=b'z' => 1,
            b'0'..=b'9' => 2,
            _ => 3,
        };
        let b = s.as_bytes();
        if b.len() < 2 {
            return 0.0;
        }
        let changes = b.windows(2).filter(|w| class(w[0]) != class(w[1])).count();
        changes as f64 / (b.len() - 1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::detect::*;
    use super::*;
    use crate::checks::run_on;
    use crate::model::Status;
    use serde_json::json;

    #[test]
    fn key_words() {
        assert_eq!(words("AZURE_CLIENT_SECRET"), ["azure", "client", "secret"]);
        assert_eq!(words("apiKey"), ["api", "key"]);
        assert_eq!(words("APIKey"), ["api", "key"]);
        assert_eq!(words("db.password"), ["db", "password"]);
        assert_eq!(words("tokenTTLSeconds"), ["token", "ttl", "seconds"]);
    }

    #[test]
    fn sensitive_names() {
        for k in [
            "password",
            "DB_PASSWORD",
            "db-passwd",
            "clientSecret",
            "AZURE_CLIENT_SECRET",
            "api_key",
            "apiKey",
            "API-KEY",
            "apikey",
            "private_key",
            "privateKey",
            "secret_key",
            "SECRET_KEY",
            "ConnectionString",
            "connection_string",
            "STORAGE_ACCOUNT_KEY",
            "AccessKey",
            "github_token",
            "REFRESH_TOKEN",
            "jwtSecret",
            "spring.datasource.password",
            "credentials",
            "DB_PASS",
            "auth_token",
            "SECRET_KEY_BASE",
        ] {
            assert!(sensitive_name(k), "{k} should be sensitive");
        }
        for k in [
            "token_ttl_seconds",
            "TOKEN_URL",
            "tokenEndpoint",
            "max_tokens",
            "password_min_length",
            "PASSWORD_POLICY",
            "secret_name",
            "secretName",
            "existingSecret",
            "PASSWORD_FILE",
            "secret_provider_class",
            "api_key_header",
            "token_expiry",
            "secretary",
            "tokenizer",
            "passwordless",
            "keyvault_name",
            "CLIENT_ID",
            "log_level",
            "public_key",
            "secrets_dir",
            "PASS_THROUGH",
            "bypass",
            "csrf_token_name",
            "OAUTH_TOKEN_ENDPOINT",
            "PASSWORD_RESET_URL",
            "TOKEN_REFRESH_INTERVAL",
            "secretRef",
            "KEY_VAULT_SECRET_NAME",
            "PRIVATE_KEY_ID",
            "private_key_path",
            "ENCRYPTION_KEY_ROTATION_DAYS",
            "bearer_token_file",
        ] {
            assert!(!sensitive_name(k), "{k} should not be sensitive");
        }
    }

    #[test]
    fn plausible_values() {
        for v in [
            "S3cret!",
            "hunter2",
            "correct horse battery staple",
            "12345",
        ] {
            assert!(plausible_value(v), "{v}");
        }
        for v in [
            "",
            "  ",
            "true",
            "false",
            "${DB_PASSWORD}",
            "$(SECRET)",
            "$DB_PASSWORD",
            "{{ .Values.password }}",
            "<your-password>",
            "/run/secrets/db",
            "./secret.txt",
            "******",
            "https://login.microsoftonline.com/tenant/oauth2/v2.0/token",
            "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x)",
        ] {
            assert!(!plausible_value(v), "{v}");
        }
    }

    #[test]
    fn token_format_true_positives() {
        let cases: &[(&str, Reason)] = &[
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEfake\n-----END RSA PRIVATE KEY-----",
                Reason::PemPrivateKey,
            ),
            (
                "-----BEGIN PRIVATE KEY-----\nMIIEfake\n-----END PRIVATE KEY-----",
                Reason::PemPrivateKey,
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n",
                Reason::PemPrivateKey,
            ),
            ("AKIAIOSFODNN7EXAMPLE", Reason::AwsAccessKey),
            ("key=AKIAIOSFODNN7EXAMPLE;", Reason::AwsAccessKey),
            (
                "ghp_0123456789abcdefABCDEF0123456789abcd",
                Reason::GitHubToken,
            ),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
                Reason::GitHubToken,
            ),
            ("xoxb-123456789012-abcdefghij", Reason::SlackToken),
            (
                "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==;EndpointSuffix=core.windows.net",
                Reason::AzureKey,
            ),
            (
                "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=abcDEF123456ghiJKL=",
                Reason::AzureKey,
            ),
            (
                "https://acct.blob.core.windows.net/c?sv=2022-11-02&ss=b&sig=abcdef%3D",
                Reason::AzureKey,
            ),
            (
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                Reason::Jwt,
            ),
            (
                "postgres://orders:S3cretPw@db.example.com:5432/orders",
                Reason::UrlCredentials,
            ),
            ("amqp://guest:guest@rabbitmq:5672/", Reason::UrlCredentials),
            (
                "Server=tcp:db.database.windows.net,1433;User ID=app;Password=S3cret!;Encrypt=true",
                Reason::ConnectionStringPassword,
            ),
        ];
        for (v, want) in cases {
            assert!(token_formats(v).contains(want), "{v}: want {want:?}");
        }
    }

    #[test]
    fn token_format_false_positives() {
        for v in [
            "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----",
            "-----BEGIN PUBLIC KEY-----\nMIIBfake\n-----END PUBLIC KEY-----",
            "AKIA-not-a-key",
            "MYAKIAIOSFODNN7EXAMPLE",
            "ghp_short",
            "xoxb-short",
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${STORAGE_KEY}",
            "https://acct.blob.core.windows.net/c?restype=container",
            "eyJhbGciOiJIUzI1NiJ9",
            "postgres://db.example.com:5432/orders",
            "postgres://orders@db.example.com:5432/orders",
            "postgres://orders:${DB_PASSWORD}@db.example.com/orders",
            "https://user:****@example.com",
            "Server=tcp:db.database.windows.net,1433;Authentication=Active Directory Default",
            "Server=db;Password=;",
            "http://localhost:8080/health",
            "nginx:1.25@sha256:0123456789abcdef",
        ] {
            assert!(token_formats(v).is_empty(), "{v}: {:?}", token_formats(v));
        }
    }

    #[test]
    fn entropy() {
        assert!(shannon("aaaa") < 0.01);
        assert!((shannon("ab") - 1.0).abs() < 1e-9);
        for v in [
            "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA",
            "q7Lp2XvN9dRt4KfH8sWb3YcJ6mZe1Ua5",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "3kT9_xQ-Vb7Lm2Np8Rs4Wd6Yf1Hj",
            "Ab3dE9fGh2JkL5mNp8Qr",
        ] {
            assert!(high_entropy(v), "{v}: {} {}", shannon(v), class_changes(v));
        }
        for v in [
            "short1Aa",
            "orders-db.postgres.database.azure.com",
            "my-application-name-production",
            "MyApplicationName2023",
            "0123456789abcdef0123456789abcdef01234567", // commit id
            "7f3c0d4e-1a2b-4c5d-8e9f-0a1b2c3d4e5f",     // UUID
            "/var/lib/app/data/cache/Index2",
            "https://example.com/Path1/AbCdEfGhIj",
            "AAAAAAAAAAAAAAAAAAAAAAAAAaaaaaa1",
            "this is a sentence With 2 words and more",
            "camelCaseIdentifierV2Value",
            "ProjectAlpha2023ReleaseCandidate",
            "aGVsbG8=",
        ] {
            assert!(!high_entropy(v), "{v}: {} {}", shannon(v), class_changes(v));
        }
    }

    #[test]
    fn embedded_settings() {
        let props = "spring.datasource.url=jdbc:postgresql://db/orders\nspring.datasource.username=orders\nspring.datasource.password=S3cret!\n# password=commented\nlogging.level=INFO\n";
        assert_eq!(
            embedded_secret_settings(props),
            ["spring.datasource.password"]
        );
        let yaml = "db:\n  host: db\n  password: ${DB_PASSWORD}\n  token_ttl_seconds: 3600\nauth:\n  secret:\n    name: x\n";
        assert!(embedded_secret_settings(yaml).is_empty());
        let json_text = "{\n  \"apiKey\": \"abc123def456\",\n  \"timeout\": 3\n}";
        assert_eq!(embedded_secret_settings(json_text), ["apiKey"]);
    }

    #[test]
    fn configmap_entries_never_print_values() {
        let v = run_on(
            configmap_secrets,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                   "data": {"DB_PASSWORD": "S3cret!", "DB_HOST": "db", "TOKEN_TTL_SECONDS": "3600",
                            "conn": "postgres://u:Hunter22@db/x"}}),
        );
        let fails: Vec<&String> = v
            .iter()
            .filter(|(s, _)| *s == Status::Fail)
            .map(|(_, m)| m)
            .collect();
        assert_eq!(fails.len(), 2, "{v:?}");
        for m in &fails {
            assert!(!m.contains("S3cret") && !m.contains("Hunter22"), "{m}");
        }
        assert!(fails.iter().any(|m| m.contains("`DB_PASSWORD`")));
        assert!(fails.iter().any(|m| m.contains("`conn`")));
    }

    #[test]
    fn secret_messages_name_keys_only() {
        let v = run_on(
            secret_manifests,
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                   "stringData": {"password": "S3cret!"}, "data": {"empty": ""}}),
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].0, Status::Fail);
        assert!(v[0].1.contains("`password`") && !v[0].1.contains("S3cret"));
        assert!(!v[0].1.contains("`empty`"));
    }

    #[test]
    fn env_literals() {
        let pod = |env: Value| {
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                   "spec": {"containers": [{"name": "app", "image": "x", "env": env}]}})
        };
        let v = run_on(
            configmap_secrets,
            pod(json!([{"name": "API_KEY", "value": "abc123"},
                       {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}},
                       {"name": "LOG_LEVEL", "value": "debug"}])),
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].0, Status::Fail);
        assert!(v[0].1.contains("`API_KEY`") && !v[0].1.contains("abc123"));
        let v = run_on(
            configmap_secrets,
            pod(
                json!([{"name": "PASSWORD_FILE", "value": "/run/secrets/pw"},
                       {"name": "TOKEN_TTL", "value": "3600"}]),
            ),
        );
        assert_eq!(v[0].0, Status::Pass, "{v:?}");
    }
}
