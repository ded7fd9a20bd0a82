//! The label selector grammar, token for token as upstream's lexer and
//! parser (k8s.io/apimachinery/pkg/labels/selector.go), errors included.

use super::super::naming;
use super::{Operator, Requirement, SelectorError, quote};

/// Parses the string form into requirements (unsorted).
pub(super) fn parse(text: &str) -> Result<Vec<Requirement>, SelectorError> {
    let mut parser = Parser {
        tokens: lex(text),
        pos: 0,
    };
    parser.parse()
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Identifier(String),
    Not,
    Equals,
    DoubleEquals,
    NotEquals,
    OpenPar,
    ClosedPar,
    Comma,
    GreaterThan,
    LessThan,
    End,
}

impl Token {
    fn literal(&self) -> &str {
        match self {
            Token::Identifier(s) => s,
            Token::Not => "!",
            Token::Equals => "=",
            Token::DoubleEquals => "==",
            Token::NotEquals => "!=",
            Token::OpenPar => "(",
            Token::ClosedPar => ")",
            Token::Comma => ",",
            Token::GreaterThan => ">",
            Token::LessThan => "<",
            Token::End => "",
        }
    }
}

fn is_special(c: char) -> bool {
    matches!(c, '=' | '!' | '(' | ')' | ',' | '>' | '<')
}

fn lex(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).copied();
        let (token, len) = match (c, next) {
            ('=', Some('=')) => (Token::DoubleEquals, 2),
            ('=', _) => (Token::Equals, 1),
            ('!', Some('=')) => (Token::NotEquals, 2),
            ('!', _) => (Token::Not, 1),
            ('(', _) => (Token::OpenPar, 1),
            (')', _) => (Token::ClosedPar, 1),
            (',', _) => (Token::Comma, 1),
            ('>', _) => (Token::GreaterThan, 1),
            ('<', _) => (Token::LessThan, 1),
            _ => {
                let start = i;
                while i < chars.len() && !chars[i].is_whitespace() && !is_special(chars[i]) {
                    i += 1;
                }
                tokens.push(Token::Identifier(chars[start..i].iter().collect()));
                continue;
            }
        };
        tokens.push(token);
        i += len;
    }
    tokens.push(Token::End);
    tokens
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        self.tokens.get(self.pos).unwrap_or(&Token::End)
    }

    fn next(&mut self) -> Token {
        let token = self.peek().clone();
        self.pos += 1;
        token
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, SelectorError> {
        let mut requirements = Vec::new();
        loop {
            match self.peek() {
                Token::Identifier(_) | Token::Not => {
                    requirements.push(self.requirement()?);
                    match self.next() {
                        Token::End => return Ok(requirements),
                        Token::Comma => match self.peek() {
                            Token::Identifier(_) | Token::Not => {}
                            other => {
                                return Err(SelectorError::Syntax(format!(
                                    "found '{}', expected: identifier after ','",
                                    other.literal()
                                )));
                            }
                        },
                        other => {
                            return Err(SelectorError::Syntax(format!(
                                "found '{}', expected: ',' or 'end of string'",
                                other.literal()
                            )));
                        }
                    }
                }
                Token::End => return Ok(requirements),
                other => {
                    return Err(SelectorError::Syntax(format!(
                        "found '{}', expected: !, identifier, or 'end of string'",
                        other.literal()
                    )));
                }
            }
        }
    }

    fn requirement(&mut self) -> Result<Requirement, SelectorError> {
        let negated = *self.peek() == Token::Not;
        if negated {
            self.pos += 1;
        }
        let key = match self.next() {
            Token::Identifier(key) => key,
            other => {
                return Err(SelectorError::Invalid(format!(
                    "found '{}', expected: identifier",
                    other.literal()
                )));
            }
        };
        // The parser checks the key without a field path, hence `<nil>`.
        let key_errors = naming::qualified_name(&key);
        if !key_errors.is_empty() {
            return Err(SelectorError::Invalid(format!(
                "<nil>: Invalid value: {}: {}",
                quote(&key),
                key_errors.join("; ")
            )));
        }
        if negated {
            // Whatever follows `!key` is the caller's to reject.
            return Requirement::new(&key, Operator::DoesNotExist, Vec::new());
        }
        if matches!(self.peek(), Token::End | Token::Comma) {
            return Requirement::new(&key, Operator::Exists, Vec::new());
        }
        let op_token = self.next();
        let operator = match &op_token {
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::NotEquals => Operator::NotEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::Identifier(word) if word == "in" => Operator::In,
            Token::Identifier(word) if word == "notin" => Operator::NotIn,
            other => {
                return Err(SelectorError::Invalid(format!(
                    "found '{}', expected: '=', '!=', '==', 'in', notin'",
                    other.literal()
                )));
            }
        };
        let values = if matches!(operator, Operator::In | Operator::NotIn) {
            self.set_values()?
        } else {
            vec![self.exact_value()?]
        };
        Requirement::new(&key, operator, values)
    }

    fn exact_value(&mut self) -> Result<String, SelectorError> {
        match self.peek().clone() {
            Token::End | Token::Comma => Ok(String::new()),
            Token::Identifier(value) => {
                self.pos += 1;
                Ok(value)
            }
            other => Err(SelectorError::Invalid(format!(
                "found '{}', expected: identifier",
                other.literal()
            ))),
        }
    }

    /// `(a,b)`; empty entries are the empty string, `()` is `{""}`.
    fn set_values(&mut self) -> Result<Vec<String>, SelectorError> {
        let open = self.next();
        if open != Token::OpenPar {
            return Err(SelectorError::Invalid(format!(
                "found '{}' expected: '('",
                open.literal()
            )));
        }
        match self.peek().clone() {
            Token::ClosedPar => {
                self.pos += 1;
                return Ok(vec![String::new()]);
            }
            Token::Identifier(_) | Token::Comma => {}
            other => {
                return Err(SelectorError::Invalid(format!(
                    "found '{}', expected: ',', ')' or identifier",
                    other.literal()
                )));
            }
        }
        let mut values = Vec::new();
        loop {
            match self.next() {
                Token::Identifier(value) => {
                    values.push(value);
                    match self.peek() {
                        Token::Comma => {}
                        Token::ClosedPar => {
                            self.pos += 1;
                            return Ok(values);
                        }
                        other => {
                            return Err(SelectorError::Invalid(format!(
                                "found '{}', expected: ',' or ')'",
                                other.literal()
                            )));
                        }
                    }
                }
                Token::Comma => {
                    if values.is_empty() {
                        values.push(String::new());
                    }
                    match self.peek() {
                        Token::ClosedPar => {
                            self.pos += 1;
                            values.push(String::new());
                            return Ok(values);
                        }
                        Token::Comma => values.push(String::new()),
                        _ => {}
                    }
                }
                other => {
                    return Err(SelectorError::Invalid(format!(
                        "found '{}', expected: ',', or identifier",
                        other.literal()
                    )));
                }
            }
        }
    }
}
