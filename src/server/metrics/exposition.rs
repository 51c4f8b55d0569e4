//! Content negotiation for `/metrics`, and the Prometheus text format 0.0.4 as Go's
//! client (`expfmt`) writes it.
//!
//! The registry encodes OpenMetrics. Upstream's `promhttp.Handler()` never serves
//! OpenMetrics, so scrapers, recording rules and dashboards built on it see the 0.0.4
//! text: counters named `…_total` in `# HELP`/`# TYPE`, no `# EOF`, and numbers in Go's
//! shortest `%g` form (`le="1"`, `le="0.005"`, `1.7e+09`). A bucket bound written
//! `"1.0"` would be a different label value, so a new series, on every dashboard.
//! [`to_prometheus_text`] rewrites the OpenMetrics text into that form; a scraper that
//! asks for `application/openmetrics-text` gets OpenMetrics unchanged.

/// The exposition formats `/metrics` serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text 0.0.4, the default (upstream serves only this).
    Prometheus,
    /// OpenMetrics 1.0.0, for scrapers that ask for it.
    OpenMetrics,
}

impl Format {
    /// OpenMetrics when the `Accept` header names `application/openmetrics-text` with a
    /// non-zero quality at least that of any text/plain or wildcard it also names;
    /// otherwise the 0.0.4 text, as a Prometheus server that prefers text gets it.
    pub fn negotiate(accept: Option<&str>) -> Format {
        let Some(accept) = accept else {
            return Format::Prometheus;
        };
        let mut openmetrics: Option<f32> = None;
        let mut text: Option<f32> = None;
        for item in accept.split(',') {
            let mut parts = item.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default().to_ascii_lowercase();
            let quality = parts
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
                .and_then(|(_, v)| v.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let best = |slot: &mut Option<f32>| *slot = Some(slot.unwrap_or(0.0).max(quality));
            match media.as_str() {
                "application/openmetrics-text" => best(&mut openmetrics),
                "text/plain" | "text/*" | "*/*" => best(&mut text),
                _ => {}
            }
        }
        match openmetrics {
            Some(q) if q > 0.0 && q >= text.unwrap_or(0.0) => Format::OpenMetrics,
            _ => Format::Prometheus,
        }
    }

    /// The `Content-Type` of a response in this format (Go's `expfmt` values).
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// A float as Go's `expfmt.writeFloat` writes it: `strconv.FormatFloat(f, 'g', -1, 64)`
/// (shortest digits; exponent form below 1e-4 or from 1e6 up, with a signed two-digit
/// exponent), and `+Inf`, `-Inf`, `NaN`.
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        return "0".into();
    }
    // Rust's `{:e}` gives the shortest round-tripping digits, as Go's `-1` precision.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if f < 0.0 { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{dot}{rest}e{esign}{:02}", exp.abs());
    }
    let n = digits.len() as i32;
    let body = if exp < 0 {
        format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
    } else if exp + 1 >= n {
        format!("{digits}{}", "0".repeat((exp + 1 - n) as usize))
    } else {
        let (int, frac) = digits.split_at((exp + 1) as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{body}")
}

/// A number of the OpenMetrics text (`1.0`, `+Inf`, `3`) in Go's form; anything that
/// does not parse is passed through.
fn reformat_number(text: &str) -> String {
    match text {
        "+Inf" => "+Inf".into(),
        "-Inf" => "-Inf".into(),
        "NaN" => "NaN".into(),
        _ => text
            .parse::<f64>()
            .map(go_float)
            .unwrap_or_else(|_| text.to_string()),
    }
}

/// A sample line's label pairs: name, and the quoted value as written.
type LabelPairs<'a> = Vec<(&'a str, &'a str)>;

/// Splits a sample line into its name, its label pairs and the rest (value, and a
/// timestamp or exemplar if any).
fn split_sample(line: &str) -> Option<(&str, LabelPairs<'_>, &str)> {
    let Some(open) = line.find('{') else {
        let (name, rest) = line.split_once(' ')?;
        return Some((name, Vec::new(), rest));
    };
    let name = line.get(..open)?;
    let bytes = line.as_bytes();
    let mut labels = Vec::new();
    let mut i = open + 1;
    loop {
        match bytes.get(i)? {
            b'}' => break,
            b',' => i += 1,
            _ => {
                let eq = i + line.get(i..)?.find('=')?;
                let label = line.get(i..eq)?;
                // The value: from the opening quote to the closing one, skipping escapes.
                let start = eq + 1;
                let mut j = start + 1;
                while *bytes.get(j)? != b'"' {
                    j += if *bytes.get(j)? == b'\\' { 2 } else { 1 };
                }
                labels.push((label, line.get(start..=j)?));
                i = j + 1;
            }
        }
    }
    Some((name, labels, line.get(i + 1..)?.trim_start()))
}

/// One sample line in 0.0.4 form: `le` last (where Go puts it), numbers in Go's form,
/// no exemplar.
fn rewrite_sample(line: &str) -> String {
    let Some((name, labels, rest)) = split_sample(line) else {
        return line.to_string();
    };
    let value = rest
        .split(" # ")
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or_default();
    let mut out = String::from(name);
    let (le, others): (Vec<_>, Vec<_>) = labels.into_iter().partition(|(k, _)| *k == "le");
    let mut pairs: Vec<String> = others.iter().map(|(k, v)| format!("{k}={v}")).collect();
    for (_, v) in le {
        let inner = v.trim_matches('"');
        pairs.push(format!("le=\"{}\"", reformat_number(inner)));
    }
    if !pairs.is_empty() {
        out.push('{');
        out.push_str(&pairs.join(","));
        out.push('}');
    }
    out.push(' ');
    out.push_str(&reformat_number(value));
    out
}

/// One metric family: its 0.0.4 header and sample lines.
struct FamilyText {
    name: String,
    header: Vec<String>,
    samples: Vec<String>,
}

/// Where Go's encoder puts a sample: metrics by their labels (`le` aside), and within
/// a histogram's metric the buckets (in order), then `_sum`, then `_count`.
fn sample_order(line: &str) -> (String, u8) {
    let (name, labels) = match line.find('{') {
        Some(open) => {
            let close = line.rfind('}').unwrap_or(line.len());
            (&line[..open], &line[open..close])
        }
        None => (line.split(' ').next().unwrap_or_default(), ""),
    };
    let labels = match labels.find(",le=\"").or_else(|| labels.find("{le=\"")) {
        Some(i) => &labels[..i],
        None => labels,
    };
    let rank = if name.ends_with("_sum") {
        1
    } else if name.ends_with("_count") {
        2
    } else {
        0
    };
    (labels.to_string(), rank)
}

/// Rewrites the registry's OpenMetrics text as Go's 0.0.4 text: families sorted by name
/// (as Go's gatherer sorts them), `# HELP`/`# TYPE` named as the samples are (`_total`
/// for counters), `# UNIT`, `# EOF` and `_created` samples dropped.
pub fn to_prometheus_text(openmetrics: &str) -> String {
    let mut families: Vec<FamilyText> = Vec::new();
    let mut help: Option<(String, String)> = None;
    let mut created: Option<String> = None;
    for line in openmetrics.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, text) = rest.split_once(' ').unwrap_or((rest, ""));
            // OpenMetrics escapes `"` in help; 0.0.4 does not.
            help = Some((name.to_string(), text.replace("\\\"", "\"")));
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "unknown"));
            let (family, kind) = match kind {
                "counter" => (format!("{name}_total"), "counter"),
                "gauge" | "histogram" | "summary" => (name.to_string(), kind),
                _ => (name.to_string(), "untyped"),
            };
            created = Some(format!("{name}_created"));
            let mut header = Vec::new();
            if let Some((_, text)) = help.take().filter(|(n, _)| n == name) {
                header.push(format!("# HELP {family} {text}"));
            }
            header.push(format!("# TYPE {family} {kind}"));
            families.push(FamilyText {
                name: family,
                header,
                samples: Vec::new(),
            });
        } else if line.starts_with('#') || line.is_empty() {
            // `# UNIT`, `# EOF`.
        } else if let Some(family) = families.last_mut() {
            if created
                .as_deref()
                .is_some_and(|c| line.starts_with(c) && line[c.len()..].starts_with([' ', '{']))
            {
                continue;
            }
            family.samples.push(rewrite_sample(line));
        }
    }
    families.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = String::new();
    for mut family in families {
        // A family with no samples is left out, as Go's encoder leaves it out.
        if family.samples.is_empty() {
            continue;
        }
        // Stable: buckets keep their ascending order.
        family.samples.sort_by_cached_key(|l| sample_order(l));
        for line in family.header.iter().chain(&family.samples) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_gos_shortest_g() {
        for (value, go) in [
            (1.0, "1"),
            (0.0, "0"),
            (-1.0, "-1"),
            (0.005, "0.005"),
            (0.025, "0.025"),
            (2.5, "2.5"),
            (10.0, "10"),
            (60.0, "60"),
            (21362.0, "21362"),
            (100000.0, "100000"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (1.7000000001234e9, "1.7000000001234e+09"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000123, "0.000123"),
            (-2.5e-7, "-2.5e-07"),
            (u64::MAX as f64, "1.8446744073709552e+19"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(go_float(value), go, "{value}");
        }
    }

    #[test]
    fn negotiation_prefers_text_unless_openmetrics_is_asked_for() {
        assert_eq!(Format::negotiate(None), Format::Prometheus);
        assert_eq!(Format::negotiate(Some("*/*")), Format::Prometheus);
        assert_eq!(
            Format::negotiate(Some("text/plain;version=0.0.4;q=1,*/*;q=0.1")),
            Format::Prometheus
        );
        // What Prometheus 2.x/3.x sends by default: OpenMetrics first.
        assert_eq!(
            Format::negotiate(Some(
                "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
            )),
            Format::OpenMetrics
        );
        assert_eq!(
            Format::negotiate(Some("application/openmetrics-text; version=1.0.0")),
            Format::OpenMetrics
        );
        assert_eq!(
            Format::negotiate(Some("application/openmetrics-text;q=0,text/plain")),
            Format::Prometheus
        );
        assert_eq!(
            Format::negotiate(Some("text/plain;q=1,application/openmetrics-text;q=0.5")),
            Format::Prometheus
        );
    }

    #[test]
    fn openmetrics_becomes_gos_text() {
        let om = "# HELP b_total_thing Things.\n# TYPE b_total_thing counter\nb_total_thing_total{StsRegion=\"us-west-2\"} 3\nb_total_thing_created{StsRegion=\"us-west-2\"} 1.7e9\n\
# HELP a_latency_seconds Latency \\\"quoted\\\".\n# TYPE a_latency_seconds histogram\n# UNIT a_latency_seconds seconds\n\
a_latency_seconds_sum{result=\"success\"} 0.003\na_latency_seconds_count{result=\"success\"} 1\n\
a_latency_seconds_bucket{le=\"0.005\",result=\"success\"} 1\na_latency_seconds_bucket{le=\"1.0\",result=\"success\"} 1\n\
a_latency_seconds_bucket{le=\"+Inf\",result=\"success\"} 1\n\
# HELP empty_gauge Nothing.\n# TYPE empty_gauge gauge\n\
# HELP g A gauge.\n# TYPE g gauge\ng{v=\"a b,c}\\\"d\"} 1700000000.5\n\
# HELP c C.\n# TYPE c counter\nc_total{r=\"b\"} 1\nc_total{r=\"a\"} 2\n# EOF\n";
        assert_eq!(
            to_prometheus_text(om),
            "# HELP a_latency_seconds Latency \"quoted\".\n# TYPE a_latency_seconds histogram\n\
a_latency_seconds_bucket{result=\"success\",le=\"0.005\"} 1\na_latency_seconds_bucket{result=\"success\",le=\"1\"} 1\n\
a_latency_seconds_bucket{result=\"success\",le=\"+Inf\"} 1\n\
a_latency_seconds_sum{result=\"success\"} 0.003\na_latency_seconds_count{result=\"success\"} 1\n\
# HELP b_total_thing_total Things.\n# TYPE b_total_thing_total counter\nb_total_thing_total{StsRegion=\"us-west-2\"} 3\n\
# HELP c_total C.\n# TYPE c_total counter\nc_total{r=\"a\"} 2\nc_total{r=\"b\"} 1\n\
# HELP g A gauge.\n# TYPE g gauge\ng{v=\"a b,c}\\\"d\"} 1.7000000005e+09\n"
        );
    }
}
