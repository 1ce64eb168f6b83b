//! [`Write`]: a request body as JSON text, exactly as serde writes it (the proxy reads it with
//! serde), without serde_json's serializer in the browser's bundle.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::api::{
    ChooseOrganisation, ExportedLookup, MappingChange, NewExport, ResolveRequest, RetryRequest,
    VoidRequest,
};
use crate::feed::Posting;
use crate::mapping::{
    AccountRule, DimensionMap, Grouping, LineMode, MappingSettings, PostAs, RoundingSettings,
    TrackingSettings,
};
use crate::plan::JournalKey;

/// A type written as JSON.
pub trait Write {
    /// Appends this value's JSON text to `out`.
    fn write(&self, out: &mut String);
}

/// This value's JSON text.
pub fn to_string<T: Write + ?Sized>(value: &T) -> String {
    let mut out = String::new();
    value.write(&mut out);
    out
}

/// A JSON string literal.
fn string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let n = u32::from(c) as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[n >> 4]));
                out.push(char::from(HEX[n & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Write for str {
    fn write(&self, out: &mut String) {
        string(self, out);
    }
}

impl Write for String {
    fn write(&self, out: &mut String) {
        string(self, out);
    }
}

impl Write for bool {
    fn write(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl Write for u64 {
    fn write(&self, out: &mut String) {
        out.push_str(&self.to_string());
    }
}

impl<T: Write> Write for Option<T> {
    fn write(&self, out: &mut String) {
        match self {
            Some(value) => value.write(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: Write> Write for Vec<T> {
    fn write(&self, out: &mut String) {
        out.push('[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            item.write(out);
        }
        out.push(']');
    }
}

impl<T: Write> Write for BTreeMap<String, T> {
    fn write(&self, out: &mut String) {
        out.push('{');
        for (i, (key, value)) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            string(key, out);
            out.push(':');
            value.write(out);
        }
        out.push('}');
    }
}

/// `YYYY-MM-DD`, as chrono's serde writes a date.
impl Write for NaiveDate {
    fn write(&self, out: &mut String) {
        string(&self.to_string(), out);
    }
}

/// A string keeping every digit (`amount::exact`).
impl Write for Decimal {
    fn write(&self, out: &mut String) {
        string(&self.to_string(), out);
    }
}

impl Write for JournalKey {
    fn write(&self, out: &mut String) {
        string(self.as_str(), out);
    }
}

/// Unit enums, by the names serde gives their variants.
macro_rules! write_names {
    ($t:ty { $($variant:path => $name:literal),* $(,)? }) => {
        impl Write for $t {
            fn write(&self, out: &mut String) {
                string(match self { $($variant => $name,)* }, out);
            }
        }
    };
}

write_names!(PostAs { PostAs::Posted => "POSTED", PostAs::Draft => "DRAFT" });
write_names!(Grouping {
    Grouping::Date => "date",
    Grouping::DateDivision => "date_division",
    Grouping::DateStore => "date_store",
    Grouping::DateSource => "date_source",
});
write_names!(LineMode { LineMode::Net => "net", LineMode::Gross => "gross" });

/// Writes an object's fields in order; `skip` leaves out a `None` (serde's
/// `skip_serializing_if = "Option::is_none"`).
struct Object<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Object<'a> {
    fn new(out: &'a mut String) -> Object<'a> {
        out.push('{');
        Object { out, first: true }
    }

    fn field<T: Write + ?Sized>(&mut self, name: &str, value: &T) -> &mut Self {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        string(name, self.out);
        self.out.push(':');
        value.write(self.out);
        self
    }

    fn skip_none<T: Write>(&mut self, name: &str, value: Option<&T>) -> &mut Self {
        if let Some(value) = value {
            self.field(name, value);
        }
        self
    }

    fn end(&mut self) {
        self.out.push('}');
    }
}

impl Write for Posting {
    fn write(&self, out: &mut String) {
        Object::new(out)
            .field("id", &self.id)
            .field("date", &self.date)
            .field("account", &self.account)
            .skip_none("division", self.division.as_ref())
            .field("account_description", &self.account_description)
            .field("debit", &self.debit)
            .field("credit", &self.credit)
            .field("source", self.source.code())
            .field("reference", &self.reference)
            .skip_none("store", self.store.as_ref())
            .field("memo", &self.memo)
            .end();
    }
}

impl Write for MappingSettings {
    fn write(&self, out: &mut String) {
        Object::new(out)
            .field("accounts", &self.accounts)
            .field("tracking", &self.tracking)
            .field("tax_types", &self.tax_types)
            .field("rounding", &self.rounding)
            .field("status", &self.status)
            .field("grouping", &self.grouping)
            .field("lines", &self.lines)
            .field("cutoff_date", &self.cutoff_date)
            .field("narration_template", &self.narration_template)
            .field("url_template", &self.url_template)
            .end();
    }
}

impl Write for AccountRule {
    fn write(&self, out: &mut String) {
        Object::new(out)
            .field("srm_account", &self.srm_account)
            .skip_none("division", self.division.as_ref())
            .field("xero_code", &self.xero_code)
            .end();
    }
}

impl Write for TrackingSettings {
    fn write(&self, out: &mut String) {
        Object::new(out)
            .field("division", &self.division)
            .field("store", &self.store)
            .end();
    }
}

impl Write for DimensionMap {
    fn write(&self, out: &mut String) {
        Object::new(out)
            .field("category", &self.category)
            .field("options", &self.options)
            .end();
    }
}

impl Write for RoundingSettings {
    fn write(&self, out: &mut String) {
        Object::new(out)
            .field("account", &self.account)
            .field("tolerance", &self.tolerance)
            .field("round_extra_decimals", &self.round_extra_decimals)
            .end();
    }
}

impl Write for ChooseOrganisation {
    fn write(&self, out: &mut String) {
        Object::new(out).field("tenant_id", &self.tenant_id).end();
    }
}

impl Write for MappingChange {
    fn write(&self, out: &mut String) {
        Object::new(out)
            .field("settings", &self.settings)
            .field("version", &self.version)
            .end();
    }
}

impl Write for ExportedLookup {
    fn write(&self, out: &mut String) {
        Object::new(out)
            .field("posting_ids", &self.posting_ids)
            .end();
    }
}

impl Write for NewExport {
    fn write(&self, out: &mut String) {
        Object::new(out)
            .field("from", &self.from)
            .field("postings", &self.postings)
            .field("journals", &self.journals)
            .end();
    }
}

impl Write for RetryRequest {
    fn write(&self, out: &mut String) {
        Object::new(out)
            .field("postings", &self.postings)
            .field("journals", &self.journals)
            .end();
    }
}

impl Write for VoidRequest {
    fn write(&self, out: &mut String) {
        Object::new(out).field("reason", &self.reason).end();
    }
}

impl Write for ResolveRequest {
    fn write(&self, out: &mut String) {
        Object::new(out)
            .field("manual_journal_id", &self.manual_journal_id)
            .end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let text = "q\" \\ / \n\r\t \u{1} \u{8}\u{c} é 😀";
        assert_eq!(to_string(text), serde_json::to_string(text).unwrap());
    }
}
