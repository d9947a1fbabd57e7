//! A strict parser for the OpenMetrics text format (the exposition `/metrics` serves), so the
//! tests check the format itself and not just that some lines contain some words.
//!
//! It enforces what a Prometheus scrape relies on: `# HELP`/`# TYPE`/`# UNIT` before a family's
//! samples, each family once, sample names that belong to their family (`_total` for counters),
//! metric and label name syntax, quoted label values with only `\\`, `\"` and `\n` escapes, no
//! repeated label set, numeric values, and `# EOF` as the last line.

use std::collections::{BTreeMap, BTreeSet};

/// One metric family.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    pub name: String,
    pub kind: String,
    pub help: Option<String>,
    pub samples: Vec<Sample>,
}

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Parses a whole exposition, or says which line is wrong and why.
pub fn parse(text: &str) -> Result<Vec<Family>, String> {
    let body = text
        .strip_suffix("# EOF\n")
        .ok_or("the exposition must end with \"# EOF\\n\"")?;
    let mut families: Vec<Family> = Vec::new();
    let mut seen_names = BTreeSet::new();
    for (n, line) in body.lines().enumerate() {
        let err = |why: &str| format!("line {}: {why}: {line:?}", n + 1);
        if line.is_empty() {
            return Err(err("empty line"));
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let (keyword, rest) = rest.split_once(' ').ok_or_else(|| err("bad comment"))?;
            let (name, arg) = rest.split_once(' ').unwrap_or((rest, ""));
            check_metric_name(name).map_err(|e| err(&e))?;
            let current = match families.last_mut() {
                Some(f) if f.name == name && f.samples.is_empty() => f,
                _ => {
                    if !seen_names.insert(name.to_owned()) {
                        return Err(err("family described twice, or after its samples"));
                    }
                    families.push(Family {
                        name: name.to_owned(),
                        kind: "unknown".into(),
                        help: None,
                        samples: Vec::new(),
                    });
                    families.last_mut().expect("just pushed")
                }
            };
            match keyword {
                "HELP" => current.help = Some(arg.to_owned()),
                "TYPE" => {
                    const KINDS: [&str; 8] = [
                        "counter",
                        "gauge",
                        "histogram",
                        "gaugehistogram",
                        "stateset",
                        "info",
                        "summary",
                        "unknown",
                    ];
                    if !KINDS.contains(&arg) {
                        return Err(err("unknown metric type"));
                    }
                    current.kind = arg.to_owned();
                }
                "UNIT" => {}
                _ => return Err(err("unknown comment keyword")),
            }
            continue;
        }
        let sample = parse_sample(line).map_err(|e| err(&e))?;
        let family = families
            .last_mut()
            .ok_or_else(|| err("a sample before any # TYPE"))?;
        let allowed = match family.kind.as_str() {
            "counter" => vec![
                format!("{}_total", family.name),
                format!("{}_created", family.name),
            ],
            "gauge" | "unknown" | "stateset" => vec![family.name.clone()],
            "info" => vec![format!("{}_info", family.name)],
            _ => vec![
                family.name.clone(),
                format!("{}_bucket", family.name),
                format!("{}_count", family.name),
                format!("{}_sum", family.name),
                format!("{}_created", family.name),
            ],
        };
        if !allowed.contains(&sample.name) {
            return Err(err(&format!(
                "sample name does not belong to the {} family {:?}",
                family.kind, family.name
            )));
        }
        if family
            .samples
            .iter()
            .any(|s| s.name == sample.name && s.labels == sample.labels)
        {
            return Err(err("repeated label set"));
        }
        family.samples.push(sample);
    }
    Ok(families)
}

/// The value of `metric` with (at least) `labels`, if exactly one sample matches.
pub fn value(families: &[Family], metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let matching: Vec<f64> = families
        .iter()
        .flat_map(|f| &f.samples)
        .filter(|s| s.name == metric)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .collect();
    match matching[..] {
        [v] => Some(v),
        _ => None,
    }
}

fn check_metric_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    if ok {
        Ok(())
    } else {
        Err(format!("invalid metric name {name:?}"))
    }
}

fn check_label_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!("invalid label name {name:?}"))
    }
}

fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ']).ok_or("a sample needs a value")?;
    let name = &line[..name_end];
    check_metric_name(name)?;
    let mut rest = &line[name_end..];
    let mut labels = BTreeMap::new();
    if let Some(after) = rest.strip_prefix('{') {
        rest = after;
        loop {
            if let Some(after) = rest.strip_prefix('}') {
                rest = after;
                break;
            }
            let eq = rest.find('=').ok_or("label without '='")?;
            let key = &rest[..eq];
            check_label_name(key)?;
            rest = rest[eq + 1..]
                .strip_prefix('"')
                .ok_or("label value must be quoted")?;
            let mut value = String::new();
            let mut chars = rest.char_indices();
            let end = loop {
                match chars.next() {
                    None => return Err("unterminated label value".into()),
                    Some((i, '"')) => break i,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, '\\')) => value.push('\\'),
                        Some((_, '"')) => value.push('"'),
                        Some((_, 'n')) => value.push('\n'),
                        other => return Err(format!("bad escape {other:?} in a label value")),
                    },
                    Some((_, '\n')) => return Err("raw line break in a label value".into()),
                    Some((_, c)) => value.push(c),
                }
            };
            if labels.insert(key.to_owned(), value).is_some() {
                return Err(format!("label {key:?} given twice"));
            }
            rest = &rest[end + 1..];
            if let Some(after) = rest.strip_prefix(',') {
                rest = after;
            } else if !rest.starts_with('}') {
                return Err("expected ',' or '}' after a label".into());
            }
        }
    }
    let rest = rest
        .strip_prefix(' ')
        .ok_or("expected one space before the value")?;
    let mut parts = rest.split(' ');
    let text = parts.next().ok_or("missing value")?;
    let value = match text {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        t => t.parse::<f64>().map_err(|_| format!("bad value {t:?}"))?,
    };
    if let Some(ts) = parts.next() {
        ts.parse::<f64>()
            .map_err(|_| format!("bad timestamp {ts:?}"))?;
    }
    if parts.next().is_some() {
        return Err("trailing text after the value".into());
    }
    Ok(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}
