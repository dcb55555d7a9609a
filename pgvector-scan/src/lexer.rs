//! Splits SQL into words, skipping comments and string literals.

/// A word of SQL: an unquoted identifier or keyword (lower-cased), or a
/// double-quoted identifier (as written).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Word {
    pub(crate) text: String,
    pub(crate) line: usize,
    pub(crate) quoted: bool,
}

/// The words of `sql`, in order, each with its 1-based line.
pub(crate) fn words(sql: &str) -> Vec<Word> {
    let mut lexer = Lexer {
        chars: sql.chars().collect(),
        position: 0,
        line: 1,
        words: Vec::new(),
    };
    lexer.run();
    lexer.words
}

struct Lexer {
    chars: Vec<char>,
    position: usize,
    line: usize,
    words: Vec<Word>,
}

impl Lexer {
    fn run(&mut self) {
        while let Some(c) = self.peek(0) {
            match c {
                '-' if self.peek(1) == Some('-') => self.skip_line_comment(),
                '/' if self.peek(1) == Some('*') => self.skip_block_comment(),
                '\'' => self.skip_string(false),
                '"' => self.read_quoted_identifier(),
                // `$tag$` delimiters: the body is scanned as code, because
                // function bodies can use vector types too.
                '$' => self.skip_dollar_tag(),
                c if c.is_alphabetic() || c == '_' => self.read_word(),
                _ => {
                    self.bump();
                }
            }
        }
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

    /// Skips `'...'`, where `''` is a quote; with `escapes` (an `E'...'`
    /// string) a backslash escapes the next character too.
    fn skip_string(&mut self, escapes: bool) {
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
        self.words.push(Word {
            text,
            line,
            quoted: true,
        });
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

    fn read_word(&mut self) {
        let line = self.line;
        let mut text = String::new();
        while let Some(c) = self.peek(0) {
            if c.is_alphanumeric() || c == '_' || c == '$' {
                text.push(c.to_ascii_lowercase());
                self.bump();
            } else {
                break;
            }
        }
        if self.peek(0) == Some('\'') {
            // A prefixed literal: E'..', B'..', X'..', N'..'.
            self.skip_string(text == "e");
            return;
        }
        self.words.push(Word {
            text,
            line,
            quoted: false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<String> {
        words(sql).into_iter().map(|word| word.text).collect()
    }

    #[test]
    fn lower_cases_words_and_tracks_lines() {
        let words = words("SELECT a\nFROM \"T\"");
        assert_eq!(
            words,
            vec![
                Word {
                    text: "select".into(),
                    line: 1,
                    quoted: false
                },
                Word {
                    text: "a".into(),
                    line: 1,
                    quoted: false
                },
                Word {
                    text: "from".into(),
                    line: 2,
                    quoted: false
                },
                Word {
                    text: "T".into(),
                    line: 2,
                    quoted: true
                },
            ]
        );
    }

    #[test]
    fn skips_literals_and_comments() {
        assert_eq!(
            texts("a 'b''c' E'd\\'e' f -- g\n/* h /* i */ j */ k"),
            ["a", "f", "k"]
        );
    }

    #[test]
    fn an_unterminated_literal_ends_the_text() {
        assert_eq!(texts("a 'b c"), ["a"]);
        assert_eq!(texts("a /* b"), ["a"]);
    }
}
