//! The `where` filter of `GET /ManualJournals`, in the part of Xero's syntax the product uses:
//! `Field=="text"`, `Field!="text"`, `Field.Contains("text")`, `.StartsWith(…)`, `.EndsWith(…)`,
//! joined with `AND`/`&&` and `OR`/`||` (AND binds tighter) and grouped with parentheses. Fields:
//! `Narration` and `Status`. Anything else is refused as Xero refuses a query it cannot parse.

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
        value: String,
    },
}

/// A field a filter may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Narration,
    Status,
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Equals,
    NotEquals,
    Contains,
    StartsWith,
    EndsWith,
}

impl Filter {
    /// Whether `journal` passes.
    pub fn matches(&self, journal: &StoredJournal) -> bool {
        match self {
            Filter::All => true,
            Filter::Or(any) => any.iter().any(|f| f.matches(journal)),
            Filter::And(all) => all.iter().all(|f| f.matches(journal)),
            Filter::Test { field, op, value } => {
                let text = match field {
                    Field::Narration => journal.narration.as_str(),
                    Field::Status => journal.status.as_str(),
                };
                match op {
                    Op::Equals => text == value,
                    Op::NotEquals => text != value,
                    Op::Contains => text.contains(value.as_str()),
                    Op::StartsWith => text.starts_with(value.as_str()),
                    Op::EndsWith => text.ends_with(value.as_str()),
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Text(String),
    Dot,
    Open,
    Close,
    Eq,
    NotEq,
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
                    other => {
                        return Err(format!(
                            "'{other}' is not a field the simulator filters ManualJournals on"
                        ));
                    }
                };
                let op = match self.next() {
                    Some(Token::Eq) => Op::Equals,
                    Some(Token::NotEq) => Op::NotEquals,
                    Some(Token::Dot) => {
                        let op = match self.next() {
                            Some(Token::Word(m)) if m == "Contains" => Op::Contains,
                            Some(Token::Word(m)) if m == "StartsWith" => Op::StartsWith,
                            Some(Token::Word(m)) if m == "EndsWith" => Op::EndsWith,
                            other => return Err(format!("unknown method {other:?}")),
                        };
                        self.expect(&Token::Open)?;
                        let value = self.text()?;
                        self.expect(&Token::Close)?;
                        return Ok(Filter::Test { field, op, value });
                    }
                    other => return Err(format!("expected == or a method, found {other:?}")),
                };
                Ok(Filter::Test {
                    field,
                    op,
                    value: self.text()?,
                })
            }
            other => Err(format!("expected a field or '(', found {other:?}")),
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
            value: value.into(),
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
}
