//! Small JSON reading and writing for the browser build: a document becomes a [`Json`] tree, and
//! [`Read`] turns a tree into a type; [`Write`] writes a request body.
//!
//! serde's derives instantiate a parser per type, which made up a sixth of the browser's wasm;
//! reading through one tree costs a few hundred bytes a type. Numbers keep their literal text, so
//! amounts are read exactly (never through `f64`). Unknown fields are skipped, as serde does.

mod read;
mod write;

use std::fmt;

pub use read::{Read, text_or_number};
pub use write::{Write, to_string};

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Json {
    /// `null` (and what [`Json::get`] answers for a missing field).
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as its literal text.
    Num(String),
    /// A string, unescaped.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object, its fields in document order.
    Obj(Vec<(String, Json)>),
}

/// Why a document or a value could not be read: the field that is not as expected (empty: the
/// value itself), or, for a document that is not JSON, where reading stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonError {
    /// Not JSON; the byte offset where reading stopped.
    Syntax(usize),
    /// A value of the wrong type or form, in this field (empty: at the top).
    Field(&'static str),
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::Syntax(at) => write!(f, "not valid JSON at byte {at}"),
            JsonError::Field("") => f.write_str("unexpected value"),
            JsonError::Field(name) => write!(f, "unexpected value in field `{name}`"),
        }
    }
}

/// Compact JSON text (how a value that is not where it belongs is named in a message).
impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Num(text) => f.write_str(text),
            Json::Str(text) => write_string(f, text),
            Json::Arr(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Json::Obj(fields) => {
                f.write_str("{")?;
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write_string(f, key)?;
                    write!(f, ":{value}")?;
                }
                f.write_str("}")
            }
        }
    }
}

fn write_string(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in text.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if u32::from(c) < 0x20 => write!(f, "\\u{:04x}", u32::from(c))?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

static NULL: Json = Json::Null;

impl Json {
    /// The field `key` of an object; [`Json::Null`] when absent or when this is not an object.
    pub fn get(&self, key: &str) -> &Json {
        match self {
            Json::Obj(fields) => fields
                .iter()
                .find(|(k, _)| k == key)
                .map_or(&NULL, |(_, v)| v),
            _ => &NULL,
        }
    }

    /// Reads field `key` (absent reads as `null`); an error names the field.
    pub fn field<T: Read>(&self, key: &'static str) -> Result<T, JsonError> {
        T::read(self.get(key)).map_err(|e| match e {
            JsonError::Field("") => JsonError::Field(key),
            other => other,
        })
    }

    /// Reads field `key`, or the default when it is absent (serde's `#[serde(default)]`).
    pub fn field_or_default<T: Read + Default>(&self, key: &'static str) -> Result<T, JsonError> {
        match self {
            Json::Obj(fields) if fields.iter().any(|(k, _)| k == key) => self.field(key),
            _ => Ok(T::default()),
        }
    }

    /// The text of a string.
    pub fn str(&self) -> Result<&str, JsonError> {
        match self {
            Json::Str(text) => Ok(text),
            _ => Err(JsonError::Field("")),
        }
    }
}

/// Parses a whole document (white space around it allowed).
pub fn parse(text: &str) -> Result<Json, JsonError> {
    let mut parser = Parser {
        bytes: text.as_bytes(),
        at: 0,
    };
    let value = parser.value(0)?;
    parser.space();
    if parser.at == parser.bytes.len() {
        Ok(value)
    } else {
        Err(JsonError::Syntax(parser.at))
    }
}

/// Parses `text` and reads it as `T`.
pub fn from_str<T: Read>(text: &str) -> Result<T, JsonError> {
    T::read(&parse(text)?)
}

/// Deeper nesting is refused rather than risking the stack.
const MAX_DEPTH: usize = 128;

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn fail<T>(&self) -> Result<T, JsonError> {
        Err(JsonError::Syntax(self.at))
    }

    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.space();
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn word(&mut self, word: &str, value: Json) -> Result<Json, JsonError> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            self.fail()
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > MAX_DEPTH {
            return self.fail();
        }
        match self.peek() {
            Some(b'{') => {
                self.at += 1;
                let mut fields = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        if self.peek() != Some(b'"') {
                            return self.fail();
                        }
                        let key = self.string()?;
                        if !self.eat(b':') {
                            return self.fail();
                        }
                        fields.push((key, self.value(depth + 1)?));
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return self.fail();
                        }
                    }
                }
                Ok(Json::Obj(fields))
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value(depth + 1)?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return self.fail();
                        }
                    }
                }
                Ok(Json::Arr(items))
            }
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b't') => self.word("true", Json::Bool(true)),
            Some(b'f') => self.word("false", Json::Bool(false)),
            Some(b'n') => self.word("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => self.fail(),
        }
    }

    /// A number's literal, checked against JSON's grammar.
    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.at;
        let digits = |p: &mut Self| {
            let from = p.at;
            while p.bytes.get(p.at).is_some_and(u8::is_ascii_digit) {
                p.at += 1;
            }
            p.at > from
        };
        if self.bytes[self.at] == b'-' {
            self.at += 1;
        }
        let leading_zero = self.bytes.get(self.at) == Some(&b'0');
        if !digits(self)
            || (leading_zero && self.at - start > 1 + usize::from(self.bytes[start] == b'-'))
        {
            return self.fail();
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            if !digits(self) {
                return self.fail();
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            if !digits(self) {
                return self.fail();
            }
        }
        Ok(Json::Num(self.text(start)))
    }

    fn text(&self, start: usize) -> String {
        String::from_utf8_lossy(&self.bytes[start..self.at]).into_owned()
    }

    /// A string at the cursor (which is on its opening quote), unescaped.
    fn string(&mut self) -> Result<String, JsonError> {
        self.at += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&byte) = self.bytes.get(self.at) else {
                return self.fail();
            };
            self.at += 1;
            match byte {
                b'"' => return String::from_utf8(out).or_else(|_| self.fail()),
                b'\\' => {
                    let Some(&escape) = self.bytes.get(self.at) else {
                        return self.fail();
                    };
                    self.at += 1;
                    let plain = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode()?,
                        _ => return self.fail(),
                    };
                    let mut buffer = [0; 4];
                    out.extend_from_slice(plain.encode_utf8(&mut buffer).as_bytes());
                }
                0..0x20 => return self.fail(),
                _ => out.push(byte),
            }
        }
    }

    /// The character of a `\uXXXX` escape (the cursor after the `u`), joining surrogate pairs.
    fn unicode(&mut self) -> Result<char, JsonError> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !self.bytes[self.at..].starts_with(b"\\u") {
                return self.fail();
            }
            self.at += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return self.fail();
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).map_or_else(|| self.fail(), Ok)
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .bytes
            .get(self.at..self.at + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok());
        match digits {
            Some(value) => {
                self.at += 4;
                Ok(value)
            }
            None => self.fail(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_kind_of_value() {
        let doc =
            parse(r#" {"a": [1, -2.5e3, "x\"\u00e9\ud83d\ude00", true, false, null], "b": {}} "#)
                .unwrap();
        assert_eq!(
            doc.get("a"),
            &Json::Arr(vec![
                Json::Num("1".into()),
                Json::Num("-2.5e3".into()),
                Json::Str("x\"é😀".into()),
                Json::Bool(true),
                Json::Bool(false),
                Json::Null,
            ])
        );
        assert_eq!(doc.get("b"), &Json::Obj(vec![]));
        assert_eq!(doc.get("missing"), &Json::Null);
    }

    #[test]
    fn refuses_what_is_not_json() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "01",
            "1.",
            "-",
            "tru",
            "\"a",
            "[1] 2",
            "{a:1}",
            "\"\\x\"",
        ] {
            assert!(matches!(parse(bad), Err(JsonError::Syntax(_))), "{bad}");
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn writes_values_back_compactly() {
        let text = r#"{"a":[1,true,null,"q\"\n"],"b":{}}"#;
        assert_eq!(parse(text).unwrap().to_string(), text);
    }

    #[test]
    fn agrees_with_serde_json_on_strings() {
        let text = "line\nbreak \t tab \u{1F600} \\ / \"quoted\" é";
        let json = serde_json::to_string(text).unwrap();
        assert_eq!(parse(&json).unwrap(), Json::Str(text.to_owned()));
    }
}
