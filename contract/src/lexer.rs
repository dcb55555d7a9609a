//! Splits SQL into tokens, skipping comments and the text of string literals.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An unquoted identifier or keyword, lower-cased.
    Word,
    /// A double-quoted identifier, as written.
    Quoted,
    /// A string literal or a number (its text is left out).
    Literal,
    /// Punctuation or an operator character; `::` is one token.
    Punct,
}

/// A token of SQL with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) text: String,
    pub(crate) line: usize,
    pub(crate) kind: Kind,
}

impl Token {
    /// Whether this is the unquoted word (keyword) `word`.
    pub(crate) fn is_word(&self, word: &str) -> bool {
        self.kind == Kind::Word && self.text == word
    }

    /// Whether this is the punctuation `punct`.
    pub(crate) fn is_punct(&self, punct: &str) -> bool {
        self.kind == Kind::Punct && self.text == punct
    }

    /// Whether this is a name: an unquoted or a quoted identifier.
    pub(crate) fn is_name(&self) -> bool {
        matches!(self.kind, Kind::Word | Kind::Quoted)
    }
}

/// The tokens of `sql`, in order, each with its 1-based line.
pub(crate) fn tokens(sql: &str) -> Vec<Token> {
    let mut lexer = Lexer {
        chars: sql.chars().collect(),
        position: 0,
        line: 1,
        tokens: Vec::new(),
    };
    lexer.run();
    lexer.tokens
}

struct Lexer {
    chars: Vec<char>,
    position: usize,
    line: usize,
    tokens: Vec<Token>,
}

impl Lexer {
    fn run(&mut self) {
        while let Some(c) = self.peek(0) {
            match c {
                '-' if self.peek(1) == Some('-') => self.skip_line_comment(),
                '/' if self.peek(1) == Some('*') => self.skip_block_comment(),
                '\'' => self.read_string(false),
                '"' => self.read_quoted_identifier(),
                // `$tag$` delimiters: the body is scanned as code, because
                // function bodies can use vector types too.
                '$' => self.skip_dollar_tag(),
                ':' if self.peek(1) == Some(':') => {
                    self.push("::".to_owned(), Kind::Punct);
                    self.bump();
                    self.bump();
                }
                c if c.is_alphabetic() || c == '_' => self.read_word(),
                c if c.is_ascii_digit() => self.read_number(),
                c if c.is_whitespace() => {
                    self.bump();
                }
                c => {
                    self.push(c.to_string(), Kind::Punct);
                    self.bump();
                }
            }
        }
    }

    fn push(&mut self, text: String, kind: Kind) {
        self.tokens.push(Token {
            text,
            line: self.line,
            kind,
        });
    }

    fn peek(&self, offset: usize) -> Option<char> {
        self.chars.get(self.position + offset).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.position += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn skip_line_comment(&mut self) {
        while let Some(c) = self.peek(0) {
            if c == '\n' {
                return;
            }
            self.bump();
        }
    }

    /// Block comments nest in PostgreSQL.
    fn skip_block_comment(&mut self) {
        let mut depth = 0usize;
        while let Some(c) = self.bump() {
            if c == '/' && self.peek(0) == Some('*') {
                self.bump();
                depth += 1;
            } else if c == '*' && self.peek(0) == Some('/') {
                self.bump();
                depth -= 1;
                if depth == 0 {
                    return;
                }
            }
        }
    }

    /// Reads `'...'` as one literal token, where `''` is a quote; with
    /// `escapes` (an `E'...'` string) a backslash escapes the next character too.
    fn read_string(&mut self, escapes: bool) {
        self.push(String::new(), Kind::Literal);
        self.bump();
        while let Some(c) = self.bump() {
            match c {
                '\\' if escapes => {
                    self.bump();
                }
                '\'' if self.peek(0) == Some('\'') => {
                    self.bump();
                }
                '\'' => return,
                _ => {}
            }
        }
    }

    fn read_quoted_identifier(&mut self) {
        let line = self.line;
        self.bump();
        let mut text = String::new();
        while let Some(c) = self.bump() {
            if c == '"' {
                if self.peek(0) == Some('"') {
                    self.bump();
                    text.push('"');
                } else {
                    break;
                }
            } else {
                text.push(c);
            }
        }
        self.tokens.push(Token {
            text,
            line,
            kind: Kind::Quoted,
        });
    }

    /// Whether a dollar-quote tag (`$$`, `$body$`) starts here.
    fn at_dollar_tag(&self) -> bool {
        if self.peek(0) != Some('$') {
            return false;
        }
        let mut offset = 1;
        while let Some(c) = self.peek(offset) {
            if c == '$' {
                return true;
            }
            if !(c.is_alphanumeric() || c == '_') || (offset == 1 && c.is_ascii_digit()) {
                return false;
            }
            offset += 1;
        }
        false
    }

    fn skip_dollar_tag(&mut self) {
        self.bump();
        while let Some(c) = self.peek(0) {
            if c == '$' {
                self.bump();
                return;
            }
            if !(c.is_alphanumeric() || c == '_') {
                return;
            }
            self.bump();
        }
    }

    fn read_number(&mut self) {
        self.push(String::new(), Kind::Literal);
        while self
            .peek(0)
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        {
            self.bump();
        }
    }

    fn read_word(&mut self) {
        let line = self.line;
        let mut text = String::new();
        while let Some(c) = self.peek(0) {
            // A `$` may go on a name, unless it starts the tag that closes a
            // dollar-quoted body (`…::vector$$`).
            let name_char = c.is_alphanumeric() || c == '_' || (c == '$' && !self.at_dollar_tag());
            if !name_char {
                break;
            }
            text.push(c.to_ascii_lowercase());
            self.bump();
        }
        if self.peek(0) == Some('\'') {
            // A prefixed literal: E'..', B'..', X'..', N'..'.
            self.read_string(text == "e");
            return;
        }
        self.tokens.push(Token {
            text,
            line,
            kind: Kind::Word,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<String> {
        tokens(sql)
            .into_iter()
            .map(|token| match token.kind {
                Kind::Literal => "<lit>".to_owned(),
                _ => token.text,
            })
            .collect()
    }

    #[test]
    fn lower_cases_words_and_tracks_lines() {
        let found = tokens("SELECT a\nFROM \"T\"");
        let summary: Vec<_> = found
            .iter()
            .map(|t| (t.text.as_str(), t.line, t.kind))
            .collect();
        assert_eq!(
            summary,
            [
                ("select", 1, Kind::Word),
                ("a", 1, Kind::Word),
                ("from", 2, Kind::Word),
                ("T", 2, Kind::Quoted),
            ]
        );
    }

    #[test]
    fn literals_are_one_token_and_comments_none() {
        assert_eq!(
            texts("a 'b''c' E'd\\'e' f -- g\n/* h /* i */ j */ k"),
            ["a", "<lit>", "<lit>", "f", "k"]
        );
    }

    #[test]
    fn punctuation_and_casts_are_tokens() {
        assert_eq!(
            texts("x::vector(3)[], s.t = 1.5;"),
            [
                "x", "::", "vector", "(", "<lit>", ")", "[", "]", ",", "s", ".", "t", "=", "<lit>",
                ";"
            ]
        );
    }

    #[test]
    fn an_unterminated_literal_ends_the_text() {
        assert_eq!(texts("a 'b c"), ["a", "<lit>"]);
        assert_eq!(texts("a /* b"), ["a"]);
    }
}
