//! JSON text to a [`Value`], with serde_json's words and places for what is wrong.

use crate::primitives::prelude::*;

use crate::primitives::json::value::{Error, Number, Object, Value};

/// Nested arrays and objects deeper than this are refused, as serde_json does: the parser
/// recurses, and the component's stack is small (`.cargo/config.toml`).
const DEPTH_LIMIT: u8 = 128;

/// Parses a whole body.
pub fn parse(input: &[u8]) -> Result<Value, Error> {
    let mut parser = Parser {
        input,
        index: 0,
        depth: DEPTH_LIMIT,
    };
    let value = parser.value()?;
    match parser.whitespace() {
        Some(_) => Err(parser.peek_error("trailing characters")),
        None => Ok(value),
    }
}

struct Parser<'a> {
    input: &'a [u8],
    index: usize,
    /// Levels of nesting still allowed.
    depth: u8,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.index).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.index += 1;
        Some(byte)
    }

    /// The next byte that is not white space, not consumed.
    fn whitespace(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.index += 1;
        }
        self.peek()
    }

    /// An error at the byte last consumed (serde_json's `error`).
    fn error(&self, what: &'static str) -> Error {
        self.error_at(what, self.index)
    }

    /// An error at the byte looked at but not consumed (serde_json's `peek_error`).
    fn peek_error(&self, what: &'static str) -> Error {
        self.error_at(what, (self.index + 1).min(self.input.len()))
    }

    /// serde_json's position: lines counted from 1, the column in bytes from the line's start.
    fn error_at(&self, what: &'static str, index: usize) -> Error {
        let before = &self.input[..index];
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |at| at + 1);
        let line = 1 + before[..line_start].iter().filter(|&&b| b == b'\n').count();
        Error::Syntax {
            what,
            line,
            column: index - line_start,
        }
    }

    fn value(&mut self) -> Result<Value, Error> {
        let Some(peek) = self.whitespace() else {
            return Err(self.peek_error("EOF while parsing a value"));
        };
        match peek {
            b'n' => self.ident(b"null").map(|()| Value::Null),
            b't' => self.ident(b"true").map(|()| Value::Bool(true)),
            b'f' => self.ident(b"false").map(|()| Value::Bool(false)),
            b'-' | b'0'..=b'9' => self.number().map(Value::Number),
            b'"' => {
                self.index += 1;
                self.string().map(Value::String)
            }
            b'[' | b'{' => {
                self.depth -= 1;
                if self.depth == 0 {
                    return Err(self.peek_error("recursion limit exceeded"));
                }
                self.index += 1;
                let value = if peek == b'[' {
                    self.array().map(Value::Array)
                } else {
                    self.object().map(Value::Object)
                };
                self.depth += 1;
                value
            }
            _ => Err(self.peek_error("expected value")),
        }
    }

    /// `null`, `true` or `false`, whose first byte was peeked.
    fn ident(&mut self, ident: &[u8]) -> Result<(), Error> {
        self.index += 1;
        for &expected in &ident[1..] {
            match self.next() {
                None => return Err(self.error("EOF while parsing a value")),
                Some(byte) if byte != expected => return Err(self.error("expected ident")),
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// After the `[`, through the `]`.
    fn array(&mut self) -> Result<Vec<Value>, Error> {
        let mut items = Vec::new();
        loop {
            let Some(peek) = self.whitespace() else {
                return Err(self.peek_error("EOF while parsing a list"));
            };
            if peek == b']' {
                self.index += 1;
                return Ok(items);
            }
            if !items.is_empty() {
                if peek != b',' {
                    return Err(self.peek_error("expected `,` or `]`"));
                }
                self.index += 1;
                match self.whitespace() {
                    Some(b']') => return Err(self.peek_error("trailing comma")),
                    Some(_) => {}
                    None => return Err(self.peek_error("EOF while parsing a value")),
                }
            }
            items.push(self.value()?);
        }
    }

    /// After the `{`, through the `}`.
    fn object(&mut self) -> Result<Object, Error> {
        let mut members = Vec::new();
        loop {
            let Some(peek) = self.whitespace() else {
                return Err(self.peek_error("EOF while parsing an object"));
            };
            if peek == b'}' {
                self.index += 1;
                break;
            }
            let peek = if members.is_empty() {
                peek
            } else if peek == b',' {
                self.index += 1;
                match self.whitespace() {
                    Some(b'}') => return Err(self.peek_error("trailing comma")),
                    Some(peek) => peek,
                    None => return Err(self.peek_error("EOF while parsing a value")),
                }
            } else {
                return Err(self.peek_error("expected `,` or `}`"));
            };
            if peek != b'"' {
                return Err(self.peek_error("key must be a string"));
            }
            self.index += 1;
            let key = self.string()?;
            match self.whitespace() {
                Some(b':') => self.index += 1,
                Some(_) => return Err(self.peek_error("expected `:`")),
                None => return Err(self.peek_error("EOF while parsing an object")),
            }
            let value = self.value()?;
            members.push((key, value));
        }
        Ok(Object(members))
    }

    /// After the opening quote, through the closing one.
    fn string(&mut self) -> Result<String, Error> {
        let mut text = Vec::new();
        let mut start = self.index;
        loop {
            while let Some(byte) = self.peek() {
                if byte == b'"' || byte == b'\\' || byte < 0x20 {
                    break;
                }
                self.index += 1;
            }
            let Some(byte) = self.peek() else {
                return Err(self.error("EOF while parsing a string"));
            };
            text.extend_from_slice(&self.input[start..self.index]);
            self.index += 1;
            match byte {
                b'"' => break,
                b'\\' => {
                    self.escape(&mut text)?;
                    start = self.index;
                }
                _ => {
                    return Err(self.error(
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ));
                }
            }
        }
        String::from_utf8(text).map_err(|e| {
            // serde_json points back from the closing quote to the first invalid byte.
            let back = e.as_bytes().len() - e.utf8_error().valid_up_to();
            match self.error("invalid unicode code point") {
                Error::Syntax { what, line, column } => Error::Syntax {
                    what,
                    line,
                    column: column.saturating_sub(back),
                },
                other => other,
            }
        })
    }

    fn next_in_string(&mut self) -> Result<u8, Error> {
        self.next()
            .ok_or_else(|| self.error("EOF while parsing a string"))
    }

    /// After a backslash.
    fn escape(&mut self, text: &mut Vec<u8>) -> Result<(), Error> {
        let byte = match self.next_in_string()? {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => return self.unicode_escape(text),
            _ => return Err(self.error("invalid escape")),
        };
        text.push(byte);
        Ok(())
    }

    /// After `\u`: one character, or a surrogate pair as two escapes.
    fn unicode_escape(&mut self, text: &mut Vec<u8>) -> Result<(), Error> {
        let first = self.hex4()?;
        let code = match first {
            0xDC00..=0xDFFF => return Err(self.error("lone leading surrogate in hex escape")),
            0xD800..=0xDBFF => {
                for expected in [b'\\', b'u'] {
                    let byte = self
                        .peek()
                        .ok_or_else(|| self.error("EOF while parsing a string"))?;
                    self.index += 1;
                    if byte != expected {
                        return Err(self.error("unexpected end of hex escape"));
                    }
                }
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.error("lone leading surrogate in hex escape"));
                }
                0x1_0000 + ((u32::from(first) - 0xD800) << 10 | (u32::from(second) - 0xDC00))
            }
            _ => u32::from(first),
        };
        // Every code outside the surrogates, and every pair, is a character.
        let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
        text.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        Ok(())
    }

    fn hex4(&mut self) -> Result<u16, Error> {
        let mut code = 0;
        let mut valid = true;
        for _ in 0..4 {
            let digit = char::from(self.next_in_string()?).to_digit(16);
            valid &= digit.is_some();
            code = code << 4 | digit.unwrap_or(0) as u16;
        }
        if valid {
            Ok(code)
        } else {
            Err(self.error("invalid escape"))
        }
    }

    /// A number, checked against JSON's grammar and kept as written.
    fn number(&mut self) -> Result<Number, Error> {
        let start = self.index;
        if self.peek() == Some(b'-') {
            self.index += 1;
        }
        match self.next() {
            None => return Err(self.error("EOF while parsing a value")),
            Some(b'0') => {
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.peek_error("invalid number"));
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            Some(_) => return Err(self.error("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.index += 1;
            let from = self.index;
            self.digits();
            if self.index == from {
                return Err(match self.peek() {
                    Some(_) => self.peek_error("invalid number"),
                    None => self.peek_error("EOF while parsing a value"),
                });
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.index += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.index += 1;
            }
            match self.next() {
                None => return Err(self.error("EOF while parsing a value")),
                Some(b'0'..=b'9') => self.digits(),
                Some(_) => return Err(self.error("invalid number")),
            }
        }
        // The grammar above admits ASCII only.
        let text = String::from_utf8_lossy(&self.input[start..self.index]).into_owned();
        Ok(Number(text))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.index += 1;
        }
    }
}

/// The reader held to serde_json on generated input: same values, same words, same places.
#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Deserialize;

    /// serde_json's verdict on a body, in this module's terms (numbers compared as written
    /// only when serde_json would write them the same).
    fn serde_parse(input: &[u8]) -> Result<serde_json::Value, String> {
        serde_json::from_slice(input).map_err(|e| e.to_string())
    }

    fn same_value(ours: &Value, theirs: &serde_json::Value) -> bool {
        match (ours, theirs) {
            (Value::Null, serde_json::Value::Null) => true,
            (Value::Bool(a), serde_json::Value::Bool(b)) => a == b,
            (Value::Number(a), serde_json::Value::Number(b)) => {
                // Kept as written here; serde_json's own float parsing may round differently
                // in the last place.
                match (a.0.parse::<f64>(), b.as_f64()) {
                    (Ok(a), Some(b)) => (a - b).abs() <= a.abs().max(b.abs()) * 1e-15,
                    _ => false,
                }
            }
            (Value::String(a), serde_json::Value::String(b)) => a == b,
            (Value::Array(a), serde_json::Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_value(a, b))
            }
            (Value::Object(a), serde_json::Value::Object(b)) => {
                // serde_json keeps the last of a repeated key, as `get` does.
                let distinct =
                    a.0.iter()
                        .enumerate()
                        .filter(|(i, (k, _))| a.position(k) == Some(*i));
                distinct.count() == b.len()
                    && b.iter()
                        .all(|(k, vb)| a.get(k).is_some_and(|va| same_value(va, vb)))
            }
            _ => false,
        }
    }

    fn check_parse(input: &[u8]) -> Result<(), TestCaseError> {
        match (parse(input), serde_parse(input)) {
            (Ok(ours), Ok(theirs)) => {
                prop_assert!(same_value(&ours, &theirs), "{ours:?} / {theirs:?}")
            }
            (Err(ours), Err(theirs)) => {
                // Not refused here: numbers past f64's range (see the module's notes).
                if !theirs.starts_with("number out of range") {
                    prop_assert_eq!(ours.to_string(), theirs);
                }
            }
            (ours, theirs) => {
                let out_of_range =
                    matches!(&theirs, Err(e) if e.starts_with("number out of range"));
                prop_assert!(out_of_range, "{ours:?} / {theirs:?}");
            }
        }
        Ok(())
    }

    /// JSON-ish text: mostly the bytes JSON is made of, so that both valid bodies and every
    /// kind of mistake come up, at various lines and columns.
    fn jsonish() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"{".to_vec()),
            Just(b"}".to_vec()),
            Just(b"[".to_vec()),
            Just(b"]".to_vec()),
            Just(b",".to_vec()),
            Just(b":".to_vec()),
            Just(b"\"".to_vec()),
            Just(b"\"key\"".to_vec()),
            Just(b"\\".to_vec()),
            Just(b"\\u".to_vec()),
            Just(b"\\ud83d\\ude00".to_vec()),
            Just(b"\\udc00".to_vec()),
            Just(b"\\ud800x".to_vec()),
            Just(b"00e".to_vec()),
            Just(b"-".to_vec()),
            Just(b"1.".to_vec()),
            Just(b"-0.5e+3".to_vec()),
            Just(b"123456789012345678901234".to_vec()),
            Just(b"E".to_vec()),
            Just(b"true".to_vec()),
            Just(b"tru".to_vec()),
            Just(b"null".to_vec()),
            Just(b"fals".to_vec()),
            Just(b" ".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"\t".to_vec()),
            Just(vec![0x01]),
            Just(vec![0xc3, 0xa9]),
            Just(vec![0xff]),
            Just(b"x".to_vec()),
            Just(b"/".to_vec()),
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
    }

    /// Valid JSON, for the cases where both must succeed and agree.
    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            (-1e6f64..1e6).prop_map(serde_json::Value::from),
            any::<String>().prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
                proptest::collection::vec(("[a-z_]{0,6}", inner), 0..6).prop_map(|members| {
                    serde_json::Value::Object(members.into_iter().collect())
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn parses_and_refuses_as_serde_json_does(input in jsonish()) {
            check_parse(&input)?;
        }

        #[test]
        fn reads_what_serde_json_writes(value in json_value(), pretty in any::<bool>()) {
            let text = if pretty {
                serde_json::to_vec_pretty(&value).unwrap()
            } else {
                serde_json::to_vec(&value).unwrap()
            };
            let ours = parse(&text).unwrap();
            prop_assert!(same_value(&ours, &value), "{ours:?} / {value}");
            // And every cut of it fails as serde_json's does.
            for cut in [text.len() / 3, text.len() / 2, text.len().saturating_sub(1)] {
                check_parse(&text[..cut])?;
            }
        }

    }

    #[test]
    fn fixed_cases_as_serde_json() {
        for input in [
            &b""[..],
            b"   ",
            b"{\"a\":1,\"a\":2}",
            b"{\"a\":1,}",
            b"[1,]",
            b"[1 2]",
            b"{\"a\" 1}",
            b"{\"a\":1 \"b\":2}",
            b"{1:2}",
            b"\"\\ud800\\u0041\"",
            b"\"\\ud800\"",
            b"\"\\uZZZZ\"",
            b"\"\\q\"",
            b"\"a\nb\"",
            b"\"\xff\"",
            b"\"\\u00e9\xff\"",
            b"01",
            b"-",
            b"-x",
            b"1.e5",
            b"1e",
            b"1e+",
            b"1ex",
            b"nul",
            b"nulx",
            b"{\"result\":[]}\n\n  x",
            b"{\n  \"result\": [\n    {\"sys_id\": \"0123\"\n",
        ] {
            check_parse(input).unwrap();
        }
    }

    #[test]
    fn nesting_is_bounded_as_in_serde_json() {
        for depth in [127, 128, 200] {
            let input = [vec![b'['; depth], vec![b']'; depth]].concat();
            check_parse(&input).unwrap();
        }
        let deep = [vec![b'['; 127], vec![b']'; 127]].concat();
        assert!(parse(&deep).is_ok());
        let err = parse(&[b'['; 128]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "recursion limit exceeded at line 1 column 128"
        );
    }

    #[test]
    fn objects_keep_the_last_of_a_repeated_key_and_look_keys_up() {
        let Value::Object(object) = parse(br#"{"b":1,"a":"x","b":"y"}"#).unwrap() else {
            panic!("an object");
        };
        assert_eq!(object.get("b").and_then(Value::as_str), Some("y"));
        assert_eq!(object.get("a").and_then(Value::as_str), Some("x"));
        assert_eq!(object.get("c"), None);
        assert_eq!(
            object.clone().take("b").as_ref().and_then(Value::as_str),
            Some("y")
        );
        assert_eq!(object.take("c"), None);
    }
}
