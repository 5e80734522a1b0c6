//! "Did you mean" suggestions.

/// The closest candidate to `word`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(f64, &'a str)> = None;
    for cand in candidates {
        if cand.eq_ignore_ascii_case(word) {
            return Some(cand);
        }
        let score = strsim::jaro_winkler(&lower, &cand.to_ascii_lowercase());
        let dist = strsim::damerau_levenshtein(&lower, &cand.to_ascii_lowercase());
        // Accept a near-miss by edit distance (short words) or by similarity (long ones).
        // An edit that rewrites the whole word is no near-miss (`zz` is not `B`).
        let close = (dist <= 2.max(word.len() / 4) || score >= 0.9)
            && dist < word.len().min(cand.len()).max(2);
        if close && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, cand));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos() {
        let kws = ["priority", "interface", "virtual_router_id", "advert_int"];
        assert_eq!(did_you_mean("prioirty", kws), Some("priority"));
        assert_eq!(
            did_you_mean("virtual_routerid", kws),
            Some("virtual_router_id")
        );
        assert_eq!(did_you_mean("INTERFACE", kws), Some("interface"));
        assert_eq!(did_you_mean("completely_else", kws), None);
    }

    #[test]
    fn script_names() {
        let names = ["chk_haproxy", "chk_nginx"];
        assert_eq!(did_you_mean("chk_haprxy", names), Some("chk_haproxy"));
        assert_eq!(did_you_mean("check_haproxy", names), Some("chk_haproxy"));
    }
}
