//! Splitting a sample expression into calls: `fetch(a,b),conv1,conv2('x,y')`. This is
//! HAProxy's second quoting level, as measured with HAProxy 2.6: inside the parentheses,
//! `'…'` (literal) and `"…"` group and the quotes are removed, so an argument may hold a
//! comma or a parenthesis (`regsub('[()]',_,g)`); outside single quotes `\\`, `\'` and
//! `\"` give the character and any other backslash stays (`\2` is a back-reference).
//! Arguments are kept as written otherwise (HAProxy keeps `str( 1)`'s space).

use super::{bad, SampleError};

/// One `name(args)` of an expression; `args` is None when no parentheses were written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub name: String,
    pub args: Option<Vec<String>>,
}

impl Call {
    /// The arguments (empty when none were written).
    pub fn args(&self) -> &[String] {
        self.args.as_deref().unwrap_or(&[])
    }

    /// `name(args)` as written, for messages.
    pub fn shown(&self) -> String {
        match &self.args {
            None => self.name.clone(),
            Some(a) => format!("{}({})", self.name, a.join(",")),
        }
    }
}

/// The calls of `text`, the fetch first.
pub fn calls(text: &str) -> Result<Vec<Call>, SampleError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '(' || c == ',' {
                break;
            }
            name.push(c);
            chars.next();
        }
        if name.is_empty() {
            return Err(bad(
                if out.is_empty() {
                    format!("`{text}`: a sample fetch name is expected")
                } else {
                    format!("`{text}`: a converter name is expected after `,`")
                },
                None,
            ));
        }
        let args = if chars.peek() == Some(&'(') {
            chars.next();
            Some(arguments(&mut chars, text)?)
        } else {
            None
        };
        out.push(Call { name, args });
        match chars.next() {
            None => return Ok(out),
            Some(',') => continue,
            Some(c) => {
                return Err(bad(
                    format!(
                        "`{text}`: unexpected `{c}` after `{}`",
                        out[out.len() - 1].shown()
                    ),
                    Some("write `fetch(args)` then `,converter(args)`".into()),
                ))
            }
        }
    }
}

/// The arguments after `(`, up to the matching `)`.
fn arguments(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    text: &str,
) -> Result<Vec<String>, SampleError> {
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    // `f()` has no argument; `f(,x)` has an empty first one.
    let mut any = false;
    while let Some(c) = chars.next() {
        match (quote, c) {
            // Outside single quotes a backslash protects `\`, `'` and `"`; before any
            // other character it is itself (HAProxy: `str(a\b)` is `a\b`).
            (None | Some('"'), '\\') => {
                any = true;
                match chars.peek() {
                    Some(&n) if matches!(n, '\\' | '\'' | '"') => {
                        cur.push(n);
                        chars.next();
                    }
                    _ => cur.push('\\'),
                }
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, ',') => {
                args.push(std::mem::take(&mut cur));
                any = true;
            }
            (None, ')') => {
                if any || !cur.is_empty() {
                    args.push(cur);
                }
                return Ok(args);
            }
            (None, c) => {
                cur.push(c);
                any = true;
            }
        }
    }
    Err(bad(
        match quote {
            Some(q) => format!("`{text}`: a `{q}` quote is not closed"),
            None => format!("`{text}`: `(` is not closed"),
        },
        Some("close the argument list with `)`".into()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> Vec<(String, Option<Vec<String>>)> {
        calls(text)
            .unwrap()
            .into_iter()
            .map(|c| (c.name, c.args))
            .collect()
    }

    fn v(a: &[&str]) -> Option<Vec<String>> {
        Some(a.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn plain_and_quoted_arguments() {
        assert_eq!(
            shape("req.hdr(host,1),lower"),
            vec![
                ("req.hdr".into(), v(&["host", "1"])),
                ("lower".into(), None)
            ]
        );
        assert_eq!(
            shape(r#"url,regsub("(foo|bar)","\2\1",i)"#),
            vec![
                ("url".into(), None),
                ("regsub".into(), v(&["(foo|bar)", r"\2\1", "i"]))
            ]
        );
        assert_eq!(shape("str()"), vec![("str".into(), v(&[]))]);
        assert_eq!(
            shape("concat(,txn.x,)"),
            vec![("concat".into(), v(&["", "txn.x", ""]))]
        );
        assert_eq!(shape(r#"str("a,b")"#), vec![("str".into(), v(&["a,b"]))]);
        // Measured with HAProxy 2.6 (lf-string '%[str(...)]').
        assert_eq!(shape(r"str(a\b)"), vec![("str".into(), v(&[r"a\b"]))]);
        assert_eq!(shape(r"str(a\\b)"), vec![("str".into(), v(&[r"a\b"]))]);
        assert_eq!(shape(r#"str(a\"b)"#), vec![("str".into(), v(&["a\"b"]))]);
        assert_eq!(shape(r"str('a\\b')"), vec![("str".into(), v(&[r"a\\b"]))]);
        assert_eq!(shape(r"str(a\'b)"), vec![("str".into(), v(&["a'b"]))]);
        assert_eq!(shape(r#"str("a)b")"#), vec![("str".into(), v(&["a)b"]))]);
        assert_eq!(shape("str( 1)"), vec![("str".into(), v(&[" 1"]))]);
    }

    #[test]
    fn malformed() {
        assert!(calls("str(abc").is_err());
        assert!(calls("str('abc)").is_err());
        assert!(calls("str(a)x").is_err());
        assert!(calls("src,").is_err());
        assert!(calls("").is_err());
    }
}
