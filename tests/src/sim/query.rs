//! The `where` filter of `GET /ManualJournals`, in the part of Xero's syntax the product uses:
//! `Field=="text"`, `Field!="text"`, `Field.Contains("text")`, `.StartsWith(…)`, `.EndsWith(…)`,
//! `Date>=DateTime(2019,08,01)` (and `>`, `<`, `<=`, `==`, `!=`),
//! `ManualJournalID==Guid("…")`, joined with `AND`/`&&` and `OR`/`||` (AND binds tighter) and
//! grouped with parentheses. Fields: `Narration` and `Status` (text), `Date` (a day),
//! `ManualJournalID` (an id, compared without regard to case). Anything else is refused as Xero
//! refuses a query it cannot parse.

use std::cmp::Ordering;

use chrono::NaiveDate;

use super::model::StoredJournal;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Everything (no `where`).
    All,
    /// Any of these.
    Or(Vec<Filter>),
    /// All of these.
    And(Vec<Filter>),
    /// One comparison.
    Test {
        /// Which field.
        field: Field,
        /// How.
        op: Op,
        /// With what.
        value: Value,
    },
}

/// A field a filter may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Narration,
    Status,
    Date,
    ManualJournalID,
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Equals,
    NotEquals,
    Contains,
    StartsWith,
    EndsWith,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// What a field is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `"text"`
    Text(String),
    /// `DateTime(2019,08,01)` (a time of day, when given, is ignored: journals have a day).
    Day(NaiveDate),
    /// `Guid("…")`
    Guid(String),
}

impl Op {
    fn holds(self, order: Ordering) -> bool {
        match self {
            Op::Equals => order.is_eq(),
            Op::NotEquals => order.is_ne(),
            Op::Less => order.is_lt(),
            Op::LessOrEqual => order.is_le(),
            Op::Greater => order.is_gt(),
            Op::GreaterOrEqual => order.is_ge(),
            Op::Contains | Op::StartsWith | Op::EndsWith => false,
        }
    }
}

impl Filter {
    /// Whether `journal` passes.
    pub fn matches(&self, journal: &StoredJournal) -> bool {
        match self {
            Filter::All => true,
            Filter::Or(any) => any.iter().any(|f| f.matches(journal)),
            Filter::And(all) => all.iter().all(|f| f.matches(journal)),
            Filter::Test { field, op, value } => match (field, value) {
                (Field::Date, Value::Day(day)) => op.holds(journal.date.cmp(day)),
                (Field::ManualJournalID, Value::Guid(id) | Value::Text(id)) => op.holds(
                    journal
                        .manual_journal_id
                        .to_ascii_lowercase()
                        .cmp(&id.to_ascii_lowercase()),
                ),
                (Field::Narration | Field::Status, Value::Text(value)) => {
                    let text = if *field == Field::Narration {
                        journal.narration.as_str()
                    } else {
                        journal.status.as_str()
                    };
                    match op {
                        Op::Contains => text.contains(value.as_str()),
                        Op::StartsWith => text.starts_with(value.as_str()),
                        Op::EndsWith => text.ends_with(value.as_str()),
                        ordered => ordered.holds(text.cmp(value.as_str())),
                    }
                }
                // `parse` never builds another pairing.
                _ => false,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Text(String),
    Dot,
    Comma,
    Open,
    Close,
    Eq,
    NotEq,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    And,
    Or,
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '.' => out.push(Token::Dot),
            '(' => out.push(Token::Open),
            ')' => out.push(Token::Close),
            ',' => out.push(Token::Comma),
            '<' if chars.next_if_eq(&'=').is_some() => out.push(Token::LessEq),
            '<' => out.push(Token::Less),
            '>' if chars.next_if_eq(&'=').is_some() => out.push(Token::GreaterEq),
            '>' => out.push(Token::Greater),
            '=' if chars.next_if_eq(&'=').is_some() => out.push(Token::Eq),
            '!' if chars.next_if_eq(&'=').is_some() => out.push(Token::NotEq),
            '&' if chars.next_if_eq(&'&').is_some() => out.push(Token::And),
            '|' if chars.next_if_eq(&'|').is_some() => out.push(Token::Or),
            '"' => {
                let mut value = String::new();
                loop {
                    match chars.next() {
                        None => return Err("a quoted string is not closed".to_owned()),
                        Some('"') => break,
                        Some('\\') => value.extend(chars.next()),
                        Some(c) => value.push(c),
                    }
                }
                out.push(Token::Text(value));
            }
            c if c.is_alphanumeric() || c == '_' => {
                let mut word = String::from(c);
                while let Some(c) = chars.next_if(|c| c.is_alphanumeric() || *c == '_') {
                    word.push(c);
                }
                out.push(match word.to_ascii_uppercase().as_str() {
                    "AND" => Token::And,
                    "OR" => Token::Or,
                    _ => Token::Word(word),
                });
            }
            other => return Err(format!("unexpected '{other}'")),
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn expect(&mut self, token: &Token) -> Result<(), String> {
        match self.next() {
            Some(t) if &t == token => Ok(()),
            other => Err(format!("expected {token:?}, found {other:?}")),
        }
    }

    fn any(&mut self) -> Result<Filter, String> {
        let mut all = vec![self.every()?];
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            all.push(self.every()?);
        }
        Ok(if all.len() == 1 {
            all.remove(0)
        } else {
            Filter::Or(all)
        })
    }

    fn every(&mut self) -> Result<Filter, String> {
        let mut all = vec![self.atom()?];
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            all.push(self.atom()?);
        }
        Ok(if all.len() == 1 {
            all.remove(0)
        } else {
            Filter::And(all)
        })
    }

    fn text(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Token::Text(t)) => Ok(t),
            other => Err(format!("expected a quoted string, found {other:?}")),
        }
    }

    fn atom(&mut self) -> Result<Filter, String> {
        match self.next() {
            Some(Token::Open) => {
                let inner = self.any()?;
                self.expect(&Token::Close)?;
                Ok(inner)
            }
            Some(Token::Word(name)) => {
                let field = match name.as_str() {
                    "Narration" => Field::Narration,
                    "Status" => Field::Status,
                    "Date" => Field::Date,
                    "ManualJournalID" => Field::ManualJournalID,
                    other => {
                        return Err(format!(
                            "'{other}' is not a field the simulator filters ManualJournals on"
                        ));
                    }
                };
                let op = match self.next() {
                    Some(Token::Eq) => Op::Equals,
                    Some(Token::NotEq) => Op::NotEquals,
                    Some(Token::Less) => Op::Less,
                    Some(Token::LessEq) => Op::LessOrEqual,
                    Some(Token::Greater) => Op::Greater,
                    Some(Token::GreaterEq) => Op::GreaterOrEqual,
                    Some(Token::Dot) => {
                        let op = match self.next() {
                            Some(Token::Word(m)) if m == "Contains" => Op::Contains,
                            Some(Token::Word(m)) if m == "StartsWith" => Op::StartsWith,
                            Some(Token::Word(m)) if m == "EndsWith" => Op::EndsWith,
                            other => return Err(format!("unknown method {other:?}")),
                        };
                        if !matches!(field, Field::Narration | Field::Status) {
                            return Err(format!("{name} has no method {op:?}"));
                        }
                        self.expect(&Token::Open)?;
                        let value = Value::Text(self.text()?);
                        self.expect(&Token::Close)?;
                        return Ok(Filter::Test { field, op, value });
                    }
                    other => {
                        return Err(format!(
                            "expected a comparison or a method, found {other:?}"
                        ));
                    }
                };
                let value = self.value()?;
                let fits = matches!(
                    (field, &value),
                    (Field::Narration | Field::Status, Value::Text(_))
                        | (Field::Date, Value::Day(_))
                        | (Field::ManualJournalID, Value::Guid(_) | Value::Text(_))
                );
                if !fits {
                    return Err(format!("{name} cannot be compared with {value:?}"));
                }
                Ok(Filter::Test { field, op, value })
            }
            other => Err(format!("expected a field or '(', found {other:?}")),
        }
    }

    /// `"text"`, `DateTime(y,m,d[,h,m,s])` or `Guid("…")`.
    fn value(&mut self) -> Result<Value, String> {
        match self.next() {
            Some(Token::Text(t)) => Ok(Value::Text(t)),
            Some(Token::Word(w)) if w == "Guid" => {
                self.expect(&Token::Open)?;
                let id = self.text()?;
                self.expect(&Token::Close)?;
                Ok(Value::Guid(id))
            }
            Some(Token::Word(w)) if w == "DateTime" => {
                self.expect(&Token::Open)?;
                let mut parts = vec![self.number()?];
                while self.peek() == Some(&Token::Comma) {
                    self.at += 1;
                    parts.push(self.number()?);
                }
                self.expect(&Token::Close)?;
                let (Some(&[y, m, d]), true) = (parts.get(..3), matches!(parts.len(), 3 | 6))
                else {
                    return Err("DateTime takes (year,month,day[,hour,minute,second])".into());
                };
                let day = i32::try_from(y)
                    .ok()
                    .and_then(|y| NaiveDate::from_ymd_opt(y, m, d))
                    .ok_or_else(|| format!("DateTime({y},{m},{d}) is not a day"))?;
                Ok(Value::Day(day))
            }
            other => Err(format!(
                "expected a quoted string, DateTime(…) or Guid(…), found {other:?}"
            )),
        }
    }

    fn number(&mut self) -> Result<u32, String> {
        match self.next() {
            Some(Token::Word(w)) => w.parse().map_err(|_| format!("'{w}' is not a number")),
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
}

/// Parses a `where` value (`None` or blank: everything).
pub fn parse(text: Option<&str>) -> Result<Filter, String> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(Filter::All);
    };
    let mut parser = Parser {
        tokens: tokens(text)?,
        at: 0,
    };
    let filter = parser.any()?;
    if parser.at < parser.tokens.len() {
        return Err(format!("unexpected text after the filter in '{text}'"));
    }
    Ok(filter)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(field: Field, op: Op, value: &str) -> Filter {
        Filter::Test {
            field,
            op,
            value: Value::Text(value.into()),
        }
    }

    #[test]
    fn ors_of_contains_and_grouped_ands_parse() {
        assert_eq!(
            parse(Some(
                r#"Narration.Contains("key a") OR Narration.Contains("key \"b\"")"#
            )),
            Ok(Filter::Or(vec![
                test(Field::Narration, Op::Contains, "key a"),
                test(Field::Narration, Op::Contains, "key \"b\""),
            ]))
        );
        assert_eq!(
            parse(Some(
                r#"(Narration=="x" || Status!="DRAFT") && Narration.EndsWith("y")"#
            )),
            Ok(Filter::And(vec![
                Filter::Or(vec![
                    test(Field::Narration, Op::Equals, "x"),
                    test(Field::Status, Op::NotEquals, "DRAFT"),
                ]),
                test(Field::Narration, Op::EndsWith, "y"),
            ]))
        );
        assert_eq!(parse(Some("  ")), Ok(Filter::All));
        assert!(parse(Some(r#"Reference=="x""#)).is_err());
        assert!(parse(Some(r#"Narration.Contains("x""#)).is_err());
        assert!(parse(Some(r#"Narration=="x" Narration=="y""#)).is_err());
    }

    fn stored(id: &str, date: (i32, u32, u32)) -> StoredJournal {
        let at = chrono::DateTime::from_timestamp(0, 0).unwrap();
        StoredJournal {
            tenant_id: "t".into(),
            manual_journal_id: id.into(),
            narration: "SRM · key a".into(),
            date: NaiveDate::from_ymd_opt(date.0, date.1, date.2).unwrap(),
            status: "POSTED".into(),
            line_amount_types: "NoTax".into(),
            url: None,
            show_on_cash_basis_reports: None,
            lines: Vec::new(),
            created: at,
            updated: at,
            idempotency_key: None,
        }
    }

    #[test]
    fn days_and_ids_compare_as_xero_writes_them() {
        let range = parse(Some(
            "Date >= DateTime(2019,08,01) AND Date<=DateTime(2019,08,31,0,0,0)",
        ))
        .unwrap();
        assert!(range.matches(&stored("A", (2019, 8, 1))));
        assert!(range.matches(&stored("A", (2019, 8, 31))));
        assert!(!range.matches(&stored("A", (2019, 9, 1))));
        assert!(!range.matches(&stored("A", (2019, 7, 31))));
        let ids = parse(Some(
            r#"ManualJournalID==Guid("ABC-1") OR ManualJournalID == Guid("def-2")"#,
        ))
        .unwrap();
        assert!(ids.matches(&stored("abc-1", (2019, 8, 1))));
        assert!(ids.matches(&stored("DEF-2", (2019, 8, 1))));
        assert!(!ids.matches(&stored("abc-3", (2019, 8, 1))));
        for bad in [
            "Date >= \"2019-08-01\"",
            "Narration > DateTime(2019,08,01)",
            "Date >= DateTime(2019,13,01)",
            "Date >= DateTime(2019,08)",
            "ManualJournalID.Contains(\"a\")",
        ] {
            assert!(parse(Some(bad)).is_err(), "{bad}");
        }
    }
}
