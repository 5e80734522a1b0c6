//! `.if` conditions: `defined(X)`, `feature(X)`, `streq(a,b)`, `strneq(a,b)`,
//! `version_atleast(V)`, `version_before(V)`, `enabled(X)`, numbers, combined with
//! `!`, `&&`, `||` and parentheses.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, multispace0};
use nom::combinator::{map, opt};
use nom::multi::{separated_list0, separated_list1};
use nom::sequence::{delimited, preceded};
use nom::{IResult, Parser};

/// What a condition may ask about.
pub trait CondContext {
    fn defined(&self, name: &str) -> bool;
    fn feature(&self, name: &str) -> bool;
    /// The HAProxy version this implementation is compatible with.
    fn version(&self) -> &str;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Num(i64),
    Call(String, Vec<String>),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

fn ws<'a, O>(
    p: impl Parser<&'a str, Output = O, Error = nom::error::Error<&'a str>>,
) -> impl Parser<&'a str, Output = O, Error = nom::error::Error<&'a str>> {
    delimited(multispace0, p, multispace0)
}

fn arg(i: &str) -> IResult<&str, String> {
    alt((
        map(
            delimited(char('"'), take_while(|c| c != '"'), char('"')),
            str::to_string,
        ),
        map(take_while(|c: char| c != ',' && c != ')'), |s: &str| {
            s.trim().to_string()
        }),
    ))
    .parse(i)
}

fn term(i: &str) -> IResult<&str, Expr> {
    ws(alt((
        map(preceded(char('!'), term), |e| Expr::Not(Box::new(e))),
        delimited(char('('), or_expr, char(')')),
        map(
            (
                take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_'),
                opt(delimited(
                    char('('),
                    separated_list0(char(','), arg),
                    char(')'),
                )),
            ),
            |(name, args): (&str, Option<Vec<String>>)| match (name.parse::<i64>(), args) {
                (Ok(n), None) => Expr::Num(n),
                (_, a) => Expr::Call(name.to_string(), a.unwrap_or_default()),
            },
        ),
    )))
    .parse(i)
}

fn and_expr(i: &str) -> IResult<&str, Expr> {
    map(separated_list1(tag("&&"), term), |mut v| {
        if v.len() == 1 {
            v.remove(0)
        } else {
            Expr::And(v)
        }
    })
    .parse(i)
}

fn or_expr(i: &str) -> IResult<&str, Expr> {
    map(separated_list1(tag("||"), and_expr), |mut v| {
        if v.len() == 1 {
            v.remove(0)
        } else {
            Expr::Or(v)
        }
    })
    .parse(i)
}

pub fn parse(text: &str) -> Result<Expr, String> {
    if text.trim().is_empty() {
        return Ok(Expr::Num(0));
    }
    match or_expr(text) {
        Ok((rest, e)) if rest.trim().is_empty() => Ok(e),
        Ok((rest, _)) => Err(format!("unexpected `{}` in condition", rest.trim())),
        Err(_) => Err(format!("cannot read condition `{text}`")),
    }
}

fn version_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let nums = |s: &str| -> Vec<u64> {
        s.split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.parse().ok())
            .collect()
    };
    nums(a).cmp(&nums(b))
}

pub fn eval(e: &Expr, ctx: &dyn CondContext) -> Result<bool, String> {
    Ok(match e {
        Expr::Num(n) => *n != 0,
        Expr::Not(x) => !eval(x, ctx)?,
        Expr::And(v) => {
            for x in v {
                if !eval(x, ctx)? {
                    return Ok(false);
                }
            }
            true
        }
        Expr::Or(v) => {
            for x in v {
                if eval(x, ctx)? {
                    return Ok(true);
                }
            }
            false
        }
        Expr::Call(name, args) => {
            let one = || -> Result<&str, String> {
                match args.as_slice() {
                    [a] => Ok(a.as_str()),
                    _ => Err(format!("{name}() takes one argument")),
                }
            };
            let two = || -> Result<(&str, &str), String> {
                match args.as_slice() {
                    [a, b] => Ok((a.as_str(), b.as_str())),
                    _ => Err(format!("{name}() takes two arguments")),
                }
            };
            match name.as_str() {
                "defined" => ctx.defined(one()?),
                "feature" => ctx.feature(one()?),
                "streq" => {
                    let (a, b) = two()?;
                    a == b
                }
                "strneq" => {
                    let (a, b) = two()?;
                    a != b
                }
                "version_atleast" => version_cmp(ctx.version(), one()?) != std::cmp::Ordering::Less,
                "version_before" => version_cmp(ctx.version(), one()?) == std::cmp::Ordering::Less,
                "enabled" => true,
                "openssl_version_atleast" | "openssl_version_before" | "ssllib_name_startswith" => {
                    false
                }
                other => return Err(format!("unknown predicate `{other}()`")),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ctx;
    impl CondContext for Ctx {
        fn defined(&self, n: &str) -> bool {
            n == "HOME"
        }
        fn feature(&self, n: &str) -> bool {
            n == "OPENSSL"
        }
        fn version(&self) -> &str {
            "2.6.12"
        }
    }

    fn t(s: &str) -> bool {
        eval(&parse(s).unwrap(), &Ctx).unwrap()
    }

    #[test]
    fn predicates_and_logic() {
        assert!(t("defined(HOME)"));
        assert!(!t("defined(NOPE)"));
        assert!(t("feature(OPENSSL) && version_atleast(2.4)"));
        assert!(!t("version_atleast(2.8)"));
        assert!(t("version_before(3.0)"));
        assert!(t("streq(a,a) || defined(NOPE)"));
        assert!(t("!(defined(NOPE) || 0)"));
        assert!(t("1"));
        assert!(!t("0"));
        assert!(!t(""));
        assert!(t("strneq(\"a b\",c)"));
        assert!(parse("defined(A) &&& x").is_err());
        assert!(eval(&parse("nosuch(x)").unwrap(), &Ctx).is_err());
    }
}
