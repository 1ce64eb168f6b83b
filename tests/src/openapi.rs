//! Xero's official OpenAPI specs as an executable contract.
//!
//! The specs are not part of the repository: tests find them through `XERO_OPENAPI_DIR` (the test
//! command sets it to `../shared/xero-openapi`). Unset, the caller is told the check was skipped
//! and why; set but wrong, loading panics so the test fails.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

/// The environment variable naming the folder that holds Xero's spec files.
pub const SPEC_DIR_VAR: &str = "XERO_OPENAPI_DIR";

/// One of the two spec files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecFile {
    /// `xero_accounting.yaml`: ManualJournals, Accounts, TaxRates, TrackingCategories, Organisation.
    Accounting,
    /// `xero-identity.yaml`: connections and tokens.
    Identity,
}

impl SpecFile {
    fn file_name(self) -> &'static str {
        match self {
            SpecFile::Accounting => "xero_accounting.yaml",
            SpecFile::Identity => "xero-identity.yaml",
        }
    }
}

/// A loaded spec: the whole document as JSON, with the known `default: "false"` quirk read as booleans.
#[derive(Debug, Clone)]
pub struct Spec {
    document: Value,
}

/// Loads a spec from `XERO_OPENAPI_DIR`, or returns `None` after telling the test output why the
/// check is skipped. `test` names the check for that message.
///
/// # Panics
/// When the variable is set but the folder or file is missing or unreadable: a wrong setting must
/// fail, never pass quietly.
pub fn load_or_skip(file: SpecFile, test: &str) -> Option<Spec> {
    let Some(dir) = std::env::var_os(SPEC_DIR_VAR) else {
        // Written straight to stderr so libtest's output capture does not hide it.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: {SPEC_DIR_VAR} is not set, so Xero's OpenAPI specs cannot be read \
             (the test command sets it to ../shared/xero-openapi)"
        );
        return None;
    };
    Some(Spec::load(&PathBuf::from(dir).join(file.file_name())))
}

impl Spec {
    /// Reads and parses one spec file.
    ///
    /// # Panics
    /// When the file is missing or is not a YAML OpenAPI document.
    pub fn load(path: &Path) -> Spec {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
            panic!(
                "{SPEC_DIR_VAR} is set but {} cannot be read: {e}",
                path.display()
            )
        });
        let mut document: Value = serde_yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()));
        assert!(
            document.get("openapi").is_some() && document.pointer("/components/schemas").is_some(),
            "{} is not an OpenAPI document with component schemas",
            path.display()
        );
        read_string_booleans(&mut document);
        Spec { document }
    }

    /// Validates `instance` against `#/components/schemas/{schema}`; the error lists every
    /// violation with its JSON path.
    ///
    /// # Panics
    /// When the schema does not exist or does not compile.
    pub fn check(&self, schema: &str, instance: &Value) -> Result<(), String> {
        self.check_with(
            &json!({ "$ref": format!("#/components/schemas/{schema}") }),
            instance,
        )
    }

    /// Validates `instance` against an array of `#/components/schemas/{schema}`.
    pub fn check_array_of(&self, schema: &str, instance: &Value) -> Result<(), String> {
        self.check_with(
            &json!({ "type": "array", "items": { "$ref": format!("#/components/schemas/{schema}") } }),
            instance,
        )
    }

    fn check_with(&self, root: &Value, instance: &Value) -> Result<(), String> {
        let name = root.to_string();
        let mut schema = root.as_object().cloned().unwrap_or_default();
        // Refs are resolved inside one document, so the spec's components travel with the root.
        schema.insert("components".into(), self.document["components"].clone());
        let validator = jsonschema::draft7::new(&Value::Object(schema))
            .unwrap_or_else(|e| panic!("schema {name} does not compile: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("\n"))
        }
    }

    /// The example body the spec gives for `method path` answering `status`.
    ///
    /// # Panics
    /// When the spec has no such example.
    pub fn response_example(&self, path: &str, method: &str, status: &str) -> Value {
        let pointer = format!(
            "/paths/{}/{method}/responses/{status}/content/application~1json/example",
            path.replace('~', "~0").replace('/', "~1")
        );
        let example = self
            .document
            .pointer(&pointer)
            .unwrap_or_else(|| panic!("the spec has no example at {pointer}"))
            .clone();
        // Some examples are JSON text inside a YAML string.
        match example {
            Value::String(text) => serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("example at {pointer} is not JSON: {e}")),
            other => other,
        }
    }

    /// The names of the component schemas, for checks that a schema exists.
    pub fn schema_names(&self) -> Vec<String> {
        self.document["components"]["schemas"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// The spec ships 23 boolean properties with `default: "false"` (a string); strict validators
/// reject that, so read them as booleans in memory. The file itself is never edited.
fn read_string_booleans(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if is_boolean_schema(map) {
                for key in ["default", "example"] {
                    if let Some(Value::String(s)) = map.get(key)
                        && let Ok(b) = s.parse::<bool>()
                    {
                        map.insert(key.into(), Value::Bool(b));
                    }
                }
            }
            map.values_mut().for_each(read_string_booleans);
        }
        Value::Array(items) => items.iter_mut().for_each(read_string_booleans),
        _ => {}
    }
}

fn is_boolean_schema(map: &Map<String, Value>) -> bool {
    map.get("type").and_then(Value::as_str) == Some("boolean")
}
