//! The `:` command line: resource aliases as k9s has them, `:pod app=x`,
//! `:ns NAME`, `:q`.

use crate::api::Kind;
use crate::api::selector::LabelSelector;

/// What a command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Show a kind, narrowed by a label selector (`app=x,tier!=y`; empty:
    /// everything).
    View {
        kind: Kind,
        selector: LabelSelector,
    },
    /// Switch namespace (`all` or `-A` for all).
    Namespace(Option<String>),
    /// The console's port-forwards (`:pf`).
    PortForwards,
    /// The kubeconfig's contexts (`:ctx`), or a switch to one (`:ctx NAME`).
    Context(Option<String>),
    /// The editor on a new object of this kind's template (`:new deploy`);
    /// ctrl-s creates it (`kubectl create`).
    New(Kind),
    /// The editor on a Service for the selected workload (`kubectl expose`).
    Expose,
    /// Every resource the console can show, with its names (`:api`, as
    /// k9s's `:aliases` and `kubectl api-resources`).
    Resources,
    /// Suspends or resumes the selected Job or CronJob (`:suspend`, as ctrl-s).
    Suspend,
    Quit,
    Help,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error(
        "unknown command {0:?}: try :po, :deploy, :sts, :svc, :pvc, :no, :ns, :pf, :ctx, :help, or :api for every resource"
    )]
    Unknown(String),
    #[error("no resource {typed:?}; did you mean {suggestion}? (:api lists every resource)")]
    UnknownResource { typed: String, suggestion: String },
    #[error(
        "no template for {0:?}: :new takes deployment, service, configmap, secret, ingress, pod or namespace"
    )]
    New(String),
    #[error(
        "bad label selector {0:?}: {1}; write key=value, key!=value, key in (a,b), key or !key, joined by commas"
    )]
    Selector(String, String),
}

/// The names a kind answers to: plural, singular, short names, k9s's
/// aliases and `plural.group` (`deployments.apps`), all lowercase.
pub fn aliases(kind: Kind) -> Vec<&'static str> {
    let info = kind.info();
    let mut names = vec![info.plural, info.singular];
    names.extend_from_slice(info.short_names);
    let extra: &[&str] = match kind {
        Kind::Deployment => &["dp", "deployments"],
        Kind::Pod => &["pod"],
        Kind::Event => &["ev"],
        Kind::Secret => &["sec"],
        _ => &[],
    };
    names.extend_from_slice(extra);
    names
}

/// Whether the console can show `kind` as a table: it is listed and watched.
pub fn viewable(kind: Kind) -> bool {
    let verbs = kind.info().verbs;
    verbs.contains(&"list") && verbs.contains(&"watch")
}

/// The kinds `:` offers, the typed ones first: where two groups share a
/// name (`events`), the one the console knows best wins.
fn offered() -> impl Iterator<Item = Kind> {
    Kind::all().into_iter().filter(|&kind| viewable(kind))
}

/// The kind a word names, if any: any of its [`aliases`], its kind in any
/// case (`StatefulSet`), or `plural.group`.
pub fn kind_named(word: &str) -> Option<Kind> {
    let word = word.to_ascii_lowercase();
    offered().find(|&kind| {
        let info = kind.info();
        aliases(kind).contains(&word.as_str())
            || info.kind_name.eq_ignore_ascii_case(&word)
            || word
                .strip_prefix(info.plural)
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|group| !group.is_empty() && group == info.group)
    })
}

pub fn parse(line: &str) -> Result<Command, CommandError> {
    let mut words = line.split_whitespace();
    let Some(first) = words.next() else {
        return Err(CommandError::Unknown(String::new()));
    };
    match first {
        "q" | "q!" | "quit" => return Ok(Command::Quit),
        "help" | "?" => return Ok(Command::Help),
        "pf" | "portforward" | "portforwards" => return Ok(Command::PortForwards),
        "ctx" | "context" | "contexts" => {
            return Ok(Command::Context(words.next().map(str::to_string)));
        }
        "new" | "create" => {
            let word = words.next().unwrap_or_default();
            return kind_named(word)
                .filter(|&kind| crate::tui::editor::template(kind).is_some())
                .map(Command::New)
                .ok_or_else(|| CommandError::New(word.to_string()));
        }
        "expose" => return Ok(Command::Expose),
        "suspend" | "resume" => return Ok(Command::Suspend),
        "api" | "aliases" | "alias" | "a" | "api-resources" => return Ok(Command::Resources),
        _ => {}
    }
    let Some(kind) = kind_named(first) else {
        return Err(match closest_kind(first) {
            Some((alias, kind)) => CommandError::UnknownResource {
                typed: first.to_string(),
                suggestion: format!("{alias} ({})", full_name(kind)),
            },
            None => CommandError::Unknown(line.to_string()),
        });
    };
    let argument = words.next();
    if kind == Kind::Namespace
        && let Some(name) = argument
    {
        let all = matches!(name, "all" | "-A" | "*");
        return Ok(Command::Namespace((!all).then(|| name.to_string())));
    }
    // The rest of the line: a selector may hold spaces (`env in (a, b)`).
    let rest = line.trim_start()[first.len()..].trim();
    let selector = match rest {
        "" => LabelSelector::default(),
        text => label_selector(text)?,
    };
    Ok(Command::View { kind, selector })
}

/// The alias nearest to a mistyped word (one edit per three letters, at
/// least one), and its kind.
fn closest_kind(word: &str) -> Option<(&'static str, Kind)> {
    let word = word.to_ascii_lowercase();
    let allowed = (word.chars().count() / 3).max(1);
    offered()
        .flat_map(|kind| aliases(kind).into_iter().map(move |alias| (alias, kind)))
        .map(|(alias, kind)| (edit_distance(&word, alias), alias, kind))
        .filter(|(distance, _, _)| *distance <= allowed)
        .min_by_key(|(distance, alias, _)| (*distance, alias.len()))
        .map(|(_, alias, kind)| (alias, kind))
}

/// `statefulsets.apps`, or `pods` for the core group.
fn full_name(kind: Kind) -> String {
    let info = kind.info();
    match info.group {
        "" => info.plural.to_string(),
        group => format!("{}.{group}", info.plural),
    }
}

/// Levenshtein distance: insertions, deletions and substitutions.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// A label selector in kubectl's syntax (`app=x,tier!=y,env in (a,b)`).
pub fn label_selector(text: &str) -> Result<LabelSelector, CommandError> {
    LabelSelector::parse(text)
        .map_err(|error| CommandError::Selector(text.to_string(), error.to_string()))
}

/// `app=x,tier=y` as pairs (a demo story's `until.selector`).
pub fn parse_labels(selector: &str) -> Result<Vec<(String, String)>, CommandError> {
    selector
        .split(',')
        .map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| {
                    (
                        k.trim().to_string(),
                        v.trim().trim_start_matches('=').to_string(),
                    )
                })
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| {
                    CommandError::Selector(selector.to_string(), "expected key=value".to_string())
                })
        })
        .collect()
}

/// Completes a partly typed command to the first alias that starts with it.
pub fn complete(prefix: &str) -> Option<&'static str> {
    if prefix.is_empty() || prefix.contains(' ') {
        return None;
    }
    offered()
        .flat_map(aliases)
        .filter(|alias| alias.starts_with(prefix) && alias.len() > prefix.len())
        .min_by_key(|alias| alias.len())
}

/// What Tab completes the argument of `line` from: `:ctx` takes a context,
/// `:ns` a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgumentOf {
    Context,
    Namespace,
}

/// Whether `line` is a command with a name to complete, and which.
pub fn argument_of(line: &str) -> Option<ArgumentOf> {
    let (command, _) = line.split_once(' ')?;
    match command {
        "ctx" | "context" | "contexts" => Some(ArgumentOf::Context),
        _ if kind_named(command) == Some(Kind::Namespace) => Some(ArgumentOf::Namespace),
        _ => None,
    }
}

/// Completes the argument of `line` from `names`, as a shell does: to the
/// one name that starts with what is typed, or as far as all such names
/// agree.
pub fn complete_argument(line: &str, names: &[String]) -> Option<String> {
    let (command, typed) = line.split_once(' ')?;
    let mut matches = names.iter().filter(|name| name.starts_with(typed));
    let first = matches.next()?;
    let shared = matches.fold(first.len(), |shared, name| {
        let agree = first
            .char_indices()
            .zip(name.chars())
            .find(|((_, a), b)| a != b)
            .map_or(first.len().min(name.len()), |((at, _), _)| at);
        shared.min(agree)
    });
    (shared > typed.len()).then(|| format!("{command} {}", &first[..shared]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_completes_context_and_namespace_names() {
        let contexts: Vec<String> = ["prod-eu", "prod-us", "staging"].map(String::from).to_vec();
        assert_eq!(argument_of("ctx pr"), Some(ArgumentOf::Context));
        assert_eq!(argument_of("ns kube"), Some(ArgumentOf::Namespace));
        assert_eq!(argument_of("deploy app"), None);
        assert_eq!(
            complete_argument("ctx st", &contexts),
            Some("ctx staging".into())
        );
        assert_eq!(
            complete_argument("ctx p", &contexts),
            Some("ctx prod-".into())
        );
        // Nothing more to add, or nothing that matches: no change.
        assert_eq!(complete_argument("ctx prod-", &contexts), None);
        assert_eq!(complete_argument("ctx x", &contexts), None);
        assert_eq!(complete_argument("ctx", &contexts), None);
    }

    #[test]
    fn k9s_aliases_name_their_kinds() {
        for (alias, kind) in [
            ("po", Kind::Pod),
            ("pods", Kind::Pod),
            ("deploy", Kind::Deployment),
            ("rs", Kind::ReplicaSet),
            ("svc", Kind::Service),
            ("ing", Kind::Ingress),
            ("ep", Kind::Endpoints),
            ("ev", Kind::Event),
            ("events", Kind::Event),
            ("no", Kind::Node),
            ("ns", Kind::Namespace),
            ("cm", Kind::ConfigMap),
            ("sec", Kind::Secret),
        ] {
            assert_eq!(kind_named(alias), Some(kind), "{alias}");
        }
    }

    #[test]
    fn ctx_lists_or_names_a_context() {
        assert_eq!(parse("ctx"), Ok(Command::Context(None)));
        assert_eq!(
            parse("ctx prod"),
            Ok(Command::Context(Some("prod".to_string())))
        );
    }

    #[test]
    fn a_label_selector_narrows_a_view() {
        assert_eq!(
            parse("pod app=nginx"),
            Ok(Command::View {
                kind: Kind::Pod,
                selector: LabelSelector::from_map(&[("app".into(), "nginx".into())].into())
            })
        );
        assert_eq!(
            parse("ns kube-system"),
            Ok(Command::Namespace(Some("kube-system".into())))
        );
        assert_eq!(parse("ns all"), Ok(Command::Namespace(None)));
        assert!(matches!(parse("frobs"), Err(CommandError::Unknown(_))));
        assert_eq!(
            parse("stss").map_err(|error| error.to_string()),
            Err("no resource \"stss\"; did you mean sts (statefulsets.apps)? (:api lists every resource)".to_string())
        );
        assert_eq!(
            parse("deplyo").map_err(|error| error.to_string()),
            Err("no resource \"deplyo\"; did you mean deploy (deployments.apps)? (:api lists every resource)".to_string())
        );
        assert_eq!(parse("pf"), Ok(Command::PortForwards));
        assert_eq!(parse("portforwards"), Ok(Command::PortForwards));
        // kubectl's whole syntax: set-based and existence requirements too.
        let Ok(Command::View { selector, .. }) = parse("po env in (a,b),!canary,tier!=db") else {
            panic!("a set-based selector parses")
        };
        assert_eq!(selector.to_string(), "!canary,env in (a,b),tier!=db");
        let refused = parse("po =x");
        assert!(
            matches!(&refused, Err(CommandError::Selector(text, _)) if text == "=x"),
            "{refused:?}"
        );
    }

    #[test]
    fn completion_offers_the_shortest_alias() {
        assert_eq!(complete("depl"), Some("deploy"));
        assert_eq!(complete("zzz"), None);
    }
}
