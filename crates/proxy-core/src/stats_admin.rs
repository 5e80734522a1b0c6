//! `stats admin`: the stats page's form. What a POST asks (servers of one backend, an
//! action), and how it went, which the page then reports (`;st=DONE`...) as HAProxy's
//! does, so scripts posting to HAProxy's page work with proxyd's.

/// The form's actions, by their `action=` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Ready,
    Drain,
    Maint,
    DisableHealth,
    EnableHealth,
    HealthUp,
    HealthDown,
    DisableAgent,
    EnableAgent,
    AgentUp,
    AgentDown,
    Shutdown,
}

impl Action {
    /// Every action with its form value and label, in the page's order.
    pub const ALL: [(Action, &'static str, &'static str); 12] = [
        (Action::Ready, "ready", "State: ready"),
        (Action::Drain, "drain", "State: drain"),
        (Action::Maint, "maint", "State: maintenance"),
        (Action::DisableHealth, "dhlth", "Health checks: pause"),
        (Action::EnableHealth, "ehlth", "Health checks: resume"),
        (Action::HealthUp, "hrunn", "Health: set UP"),
        (Action::HealthDown, "hdown", "Health: set DOWN"),
        (Action::DisableAgent, "dagent", "Agent checks: pause"),
        (Action::EnableAgent, "eagent", "Agent checks: resume"),
        (Action::AgentUp, "arunn", "Agent: set UP"),
        (Action::AgentDown, "adown", "Agent: set DOWN"),
        (Action::Shutdown, "shutdown", "Close its sessions"),
    ];

    fn named(v: &str) -> Option<Action> {
        Action::ALL.iter().find(|a| a.1 == v).map(|a| a.0)
    }
}

/// How a POST went: the `st=` code of the page it is sent back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Partial,
    Nothing,
    BadParams,
    TooLarge,
    Denied,
    Unknown,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Done => "DONE",
            Outcome::Partial => "PART",
            Outcome::Nothing => "NONE",
            Outcome::BadParams => "ERRP",
            Outcome::TooLarge => "EXCD",
            Outcome::Denied => "DENY",
            Outcome::Unknown => "UNKN",
        }
    }

    pub fn from_code(c: &str) -> Option<Outcome> {
        [
            Outcome::Done,
            Outcome::Partial,
            Outcome::Nothing,
            Outcome::BadParams,
            Outcome::TooLarge,
            Outcome::Denied,
            Outcome::Unknown,
        ]
        .into_iter()
        .find(|o| o.code() == c)
    }

    /// The page's message, and whether it is good news.
    pub fn message(self) -> (&'static str, bool) {
        match self {
            Outcome::Done => ("Done: every selected server was changed.", true),
            Outcome::Partial => ("Only some of the selected servers could be changed.", false),
            Outcome::Nothing => ("No change: no server or no action was selected.", true),
            Outcome::BadParams => ("Not done: unknown backend, server or action.", false),
            Outcome::TooLarge => ("Not done: the request was too large.", false),
            Outcome::Denied => ("Not done: this page does not allow changes.", false),
            Outcome::Unknown => ("The action ended in an unexpected state.", false),
        }
    }
}

/// A form's fields: `b` (a backend's name or `#ID`), `s` (server names), `action`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Post {
    pub backend: Option<String>,
    pub servers: Vec<String>,
    /// The `action=` value as sent (empty when none was chosen).
    pub action: Option<String>,
}

/// Largest body the form is read from (HAProxy's page refuses bigger ones: EXCD).
pub const MAX_BODY: usize = 16 * 1024;

pub fn parse(body: &[u8]) -> Post {
    let mut p = Post::default();
    for pair in body.split(|&b| b == b'&') {
        let text = String::from_utf8_lossy(pair);
        let (k, v) = text.split_once('=').unwrap_or((&text, ""));
        let v = crate::sample::conv::url_dec(v, true).unwrap_or_default();
        match k {
            "b" => p.backend = Some(v),
            "s" => p.servers.push(v),
            "action" => p.action = Some(v),
            _ => {}
        }
    }
    p
}

/// What to do: the action and the backend; or the outcome already known (nothing
/// asked, or something unusable).
pub fn plan(p: &Post) -> Result<(Action, &str), Outcome> {
    // No backend or no server: nothing to do; servers but no usable action: wrong.
    let Some(b) = p.backend.as_deref() else {
        return Err(Outcome::Nothing);
    };
    if p.servers.is_empty() {
        return Err(Outcome::Nothing);
    }
    let action = p
        .action
        .as_deref()
        .and_then(Action::named)
        .ok_or(Outcome::BadParams)?;
    Ok((action, b))
}

/// The outcome of an action on `changed` servers while `failed` could not be.
pub fn outcome(changed: usize, failed: usize) -> Outcome {
    match (changed, failed) {
        (0, 0) => Outcome::Nothing,
        (_, 0) => Outcome::Done,
        (0, _) => Outcome::BadParams,
        _ => Outcome::Partial,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_read_as_the_page_sends_them() {
        let p = parse(b"s=web%201&s=web2&action=maint&b=%233");
        assert_eq!(
            p,
            Post {
                backend: Some("#3".into()),
                servers: vec!["web 1".into(), "web2".into()],
                action: Some("maint".into()),
            }
        );
        assert_eq!(plan(&p), Ok((Action::Maint, "#3")));
        assert_eq!(plan(&parse(b"action=maint&b=be")), Err(Outcome::Nothing));
        assert_eq!(plan(&parse(b"s=a&action=maint")), Err(Outcome::Nothing));
        assert_eq!(plan(&parse(b"s=a&action=&b=be")), Err(Outcome::BadParams));
        assert_eq!(
            plan(&parse(b"s=a&action=bogus&b=be")),
            Err(Outcome::BadParams)
        );
    }

    #[test]
    fn outcomes_and_their_codes() {
        assert_eq!(outcome(2, 0), Outcome::Done);
        assert_eq!(outcome(1, 1), Outcome::Partial);
        assert_eq!(outcome(0, 1), Outcome::BadParams);
        assert_eq!(outcome(0, 0), Outcome::Nothing);
        for o in [Outcome::Done, Outcome::Denied, Outcome::TooLarge] {
            assert_eq!(Outcome::from_code(o.code()), Some(o));
        }
    }
}
