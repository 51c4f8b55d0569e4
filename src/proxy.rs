//! Proxy selection from `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`, decided the way Go's
//! `http.ProxyFromEnvironment` (golang.org/x/net/http/httpproxy) decides it.
//!
//! # Why
//!
//! Upstream is a Go program: its STS and EC2 calls go through `http.ProxyFromEnvironment`
//! and its Kubernetes API calls through client-go, which uses the same function. Operators
//! tune `NO_PROXY` against that behaviour (`.domain` matches subdomains only, `*.domain`
//! likewise, `domain` matches itself and its subdomains, CIDRs, `host:port` entries,
//! loopback never proxied), and the Rust HTTP stacks we sit on (aws-smithy's
//! `ProxyConfig::from_env`, hyper-util's `Matcher::from_env`) each have their own reading
//! of those variables. A drop-in replacement must send a request through the proxy exactly
//! when upstream would, so the rules live here once, table-tested against every case of
//! Go's own `proxy_test.go`.
//!
//! # Rules (Go's)
//!
//! * `https` requests use `HTTPS_PROXY`, `http` requests `HTTP_PROXY`; any other scheme
//!   is never proxied. The upper-case variable wins over the lower-case one; a variable
//!   that is set but empty counts as unset.
//! * A proxy value without `scheme://host` is taken as `http://` + value
//!   (`proxy:3128` → `http://proxy:3128`). Any scheme is returned as given (`socks5://`,
//!   `socks5h://`, even `foo://`); the caller decides what it can speak.
//! * In a CGI process (`REQUEST_METHOD` set) `HTTP_PROXY` may have been set by the
//!   client, so a plain-`http` request that would use it is refused
//!   ([`ProxyError::CgiHttpProxy`]); `HTTPS_PROXY` still applies.
//! * Never proxied: the host `localhost` (exactly that spelling) and loopback addresses
//!   (`127.0.0.0/8`, `::1`, `::ffff:127.0.0.0/104`). `foo.localhost` *is* proxied.
//! * `NO_PROXY` is a comma-separated list, trimmed and lower-cased; `*` disables the
//!   proxy for everything; `a.b.c.d/n` and `v6/n` are CIDRs; an IP address, optionally
//!   with `:port` (`[v6]:port`), matches that address; `example.com` matches
//!   `example.com` and its subdomains; `.example.com` and `*.example.com` match the
//!   subdomains only; a domain may carry `:port`. An entry with a port matches only
//!   requests to that port (the request's port defaults to 80, 443 or 1080 by scheme).
//!   Domain entries never match IP-address requests. Malformed entries are ignored.
//!
//! # Where this differs from Go, on purpose
//!
//! * Go silently ignores a proxy value it cannot parse (the request goes direct, which
//!   on a proxy-only network surfaces as a connect timeout much later). Here building the
//!   configuration fails with [`ProxyError::InvalidProxyUrl`], naming the variable. Go
//!   also salvages some broken URLs by prefixing `http://` (`http://proxy:abc` becomes a
//!   proxy at host `http`); those are errors here too.
//! * Non-ASCII `NO_PROXY` entries and request hosts are converted to ASCII by lower-casing
//!   and Punycode-encoding each label, without the full UTS #46 mapping Go's `idna`
//!   package applies (width folding, NFC). Write unusual names in their `xn--` form.
//!
//! # Where it is used
//!
//! * `crate::aws_http::RoutedConnector` (STS verification, the EC2 lookup, the AWS SDK's
//!   calls) asks [`ProxyConfig::proxy_for`] per request and keeps one connection pool
//!   direct and one through the proxy;
//! * `crate::kube_client` (server watches, `add`) asks once, with the API server's URL,
//!   unless the kubeconfig's cluster names a `proxy-url`;
//! * the self-update download (feature `self-update`) asks with the release URL and passes
//!   the chosen proxy to the download explicitly; when no proxy is chosen, `ureq`'s own
//!   reading of the variables still applies there (it cannot be turned off).
use std::ffi::OsString;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use http::Uri;

/// Why a proxy configuration could not be built, or a request may not use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyError {
    /// A proxy variable's value is not a URL (or `host[:port]`) that can be used.
    InvalidProxyUrl {
        /// The variable the value came from (`HTTPS_PROXY`, `https_proxy`, ...).
        variable: &'static str,
        /// The value, with any password replaced by `***`.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A proxy variable is set to something that is not valid UTF-8.
    NotUnicode {
        /// The variable.
        variable: &'static str,
    },
    /// The process runs as a CGI handler (`REQUEST_METHOD` is set) and a plain-`http`
    /// request would use `HTTP_PROXY`, which the CGI client may have set.
    CgiHttpProxy,
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidProxyUrl {
                variable,
                value,
                reason,
            } => write!(
                f,
                "{variable}={value:?} is not a usable proxy URL: {reason}"
            ),
            Self::NotUnicode { variable } => write!(f, "{variable} is not valid UTF-8"),
            Self::CgiHttpProxy => write!(
                f,
                "refusing to use HTTP_PROXY in a CGI environment (REQUEST_METHOD is set)"
            ),
        }
    }
}

impl std::error::Error for ProxyError {}

/// Proxy settings read once from the environment; [`proxy_for`](Self::proxy_for) answers
/// per request URL.
#[derive(Clone, Default)]
pub struct ProxyConfig {
    http: Option<Uri>,
    https: Option<Uri>,
    no_proxy: NoProxy,
    cgi: bool,
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |u: &Option<Uri>| u.as_ref().map(|u| redact(&u.to_string()));
        f.debug_struct("ProxyConfig")
            .field("http", &shown(&self.http))
            .field("https", &shown(&self.https))
            .field("no_proxy", &self.no_proxy)
            .field("cgi", &self.cgi)
            .finish()
    }
}

impl ProxyConfig {
    /// Reads `HTTPS_PROXY`/`https_proxy`, `HTTP_PROXY`/`http_proxy`, `NO_PROXY`/`no_proxy`
    /// (upper case first; empty counts as unset) and `REQUEST_METHOD`.
    pub fn from_env() -> Result<Self, ProxyError> {
        Self::from_lookup(|name| std::env::var_os(name))
    }

    /// Builds the configuration from raw values, as if they came from `HTTP_PROXY`,
    /// `HTTPS_PROXY`, `NO_PROXY` and (`cgi`) a set `REQUEST_METHOD`. Empty means unset.
    pub fn from_values(
        http_proxy: &str,
        https_proxy: &str,
        no_proxy: &str,
        cgi: bool,
    ) -> Result<Self, ProxyError> {
        Ok(Self {
            http: parse_proxy("HTTP_PROXY", http_proxy)?,
            https: parse_proxy("HTTPS_PROXY", https_proxy)?,
            no_proxy: NoProxy::parse(no_proxy),
            cgi,
        })
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Result<Self, ProxyError> {
        let first_set = |names: [&'static str; 2]| -> Result<(&'static str, String), ProxyError> {
            for name in names {
                if let Some(value) = lookup(name).filter(|v| !v.is_empty()) {
                    let value = value
                        .into_string()
                        .map_err(|_| ProxyError::NotUnicode { variable: name })?;
                    return Ok((name, value));
                }
            }
            Ok((names[0], String::new()))
        };
        let (http_var, http) = first_set(["HTTP_PROXY", "http_proxy"])?;
        let (https_var, https) = first_set(["HTTPS_PROXY", "https_proxy"])?;
        let (_, no_proxy) = first_set(["NO_PROXY", "no_proxy"])?;
        Ok(Self {
            http: parse_proxy(http_var, &http)?,
            https: parse_proxy(https_var, &https)?,
            no_proxy: NoProxy::parse(&no_proxy),
            cgi: lookup("REQUEST_METHOD").is_some_and(|v| !v.is_empty()),
        })
    }

    /// The proxy to use for a request to `url`, or `None` to connect directly.
    ///
    /// Fails only in a CGI process for a plain-`http` request that `HTTP_PROXY` would
    /// apply to (checked before `NO_PROXY`, as Go does).
    pub fn proxy_for(&self, url: &Uri) -> Result<Option<Uri>, ProxyError> {
        let scheme = url.scheme_str().unwrap_or("").to_ascii_lowercase();
        let proxy = match scheme.as_str() {
            "https" => self.https.as_ref(),
            "http" => {
                if self.http.is_some() && self.cgi {
                    return Err(ProxyError::CgiHttpProxy);
                }
                self.http.as_ref()
            }
            _ => None,
        };
        let Some(proxy) = proxy else {
            return Ok(None);
        };
        let host = request_host(url);
        let port = match url.port().map(|p| p.as_str().to_owned()) {
            Some(p) if !p.is_empty() => p,
            _ => default_port(&scheme).to_owned(),
        };
        if self.no_proxy.bypasses(&host, &port) {
            return Ok(None);
        }
        Ok(Some(proxy.clone()))
    }
}

/// The request's host as Go's `URL.Hostname` would give it: brackets removed,
/// percent-escapes decoded, then converted to ASCII.
fn request_host(url: &Uri) -> String {
    let raw = url.host().unwrap_or("");
    let raw = raw
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(raw);
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|h| h.into_owned())
        .unwrap_or_else(|_| raw.to_owned());
    to_ascii(&decoded)
}

fn default_port(scheme: &str) -> &'static str {
    match scheme {
        "http" => "80",
        "https" => "443",
        "socks5" => "1080",
        _ => "",
    }
}

/// Parses one proxy variable's value; empty means no proxy.
fn parse_proxy(variable: &'static str, value: &str) -> Result<Option<Uri>, ProxyError> {
    if value.is_empty() {
        return Ok(None);
    }
    let invalid = |reason: String| ProxyError::InvalidProxyUrl {
        variable,
        value: redact(value),
        reason,
    };
    let candidate = match split_scheme(value) {
        Some((scheme, rest)) => {
            let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            if authority_end == 0 {
                return Err(invalid("no host after the scheme".to_owned()));
            }
            format!("{}://{rest}", scheme.to_ascii_lowercase())
        }
        None => format!("http://{value}"),
    };
    let uri: Uri = candidate.parse().map_err(|e| invalid(format!("{e}")))?;
    if uri.host().is_none_or(str::is_empty) {
        return Err(invalid("no host".to_owned()));
    }
    if !authority_port(&uri).bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("the port is not a number".to_owned()));
    }
    Ok(Some(uri))
}

/// The literal port of a URI's authority (after the host), empty when there is none.
fn authority_port(uri: &Uri) -> &str {
    let authority = uri.authority().map_or("", |a| a.as_str());
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let after_host = match host_port.find(']') {
        Some(end) if host_port.starts_with('[') => &host_port[end + 1..],
        _ => host_port,
    };
    after_host.rsplit_once(':').map_or("", |(_, port)| port)
}

/// `scheme://rest` with a syntactically valid scheme, split; `None` for `host[:port]` forms.
fn split_scheme(value: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = value.split_once("://")?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some((scheme, rest))
}

/// The value with the password of any `user:password@` part replaced by `***`.
fn redact(value: &str) -> String {
    let start = value.find("://").map_or(0, |i| i + 3);
    let authority_end = value[start..]
        .find(['/', '?', '#'])
        .map_or(value.len(), |i| start + i);
    let authority = &value[start..authority_end];
    let Some(at) = authority.rfind('@') else {
        return value.to_owned();
    };
    let Some(colon) = authority[..at].find(':') else {
        return value.to_owned();
    };
    format!(
        "{}{}:***{}",
        &value[..start],
        &authority[..colon],
        &value[start + at..]
    )
}

/// The parsed `NO_PROXY` list.
#[derive(Debug, Clone, Default)]
struct NoProxy {
    /// `*` was listed: nothing is proxied.
    all: bool,
    ips: Vec<IpRule>,
    domains: Vec<DomainRule>,
}

#[derive(Debug, Clone)]
enum IpRule {
    /// A CIDR: the (masked) network address and prefix length, IPv4-mapped networks
    /// folded to IPv4.
    Cidr { network: IpAddr, prefix: u8 },
    /// One address; an empty port matches any port.
    Addr { ip: IpAddr, port: String },
}

#[derive(Debug, Clone)]
struct DomainRule {
    /// Always starts with `.`.
    suffix: String,
    /// An empty port matches any port.
    port: String,
    /// Whether the bare domain (the suffix without its dot) matches too.
    match_host: bool,
}

impl NoProxy {
    fn parse(list: &str) -> Self {
        let mut parsed = Self::default();
        for entry in list.split(',') {
            let entry = entry.trim().to_lowercase();
            if entry.is_empty() {
                continue;
            }
            if entry == "*" {
                return Self {
                    all: true,
                    ..Self::default()
                };
            }
            if let Some((network, prefix)) = parse_cidr(&entry) {
                parsed.ips.push(IpRule::Cidr { network, prefix });
                continue;
            }
            let (host, port) = match split_host_port(&entry) {
                Some(("", _)) => continue,
                Some((host, port)) => (host.to_owned(), port.to_owned()),
                None => (entry.clone(), String::new()),
            };
            if let Ok(ip) = host.parse::<IpAddr>() {
                parsed.ips.push(IpRule::Addr {
                    ip: canonical_ip(ip),
                    port,
                });
                continue;
            }
            let host = host
                .strip_prefix('*')
                .filter(|h| h.starts_with('.'))
                .unwrap_or(&host);
            let (suffix, match_host) = match host.strip_prefix('.') {
                Some(_) => (host.to_owned(), false),
                None => (format!(".{host}"), true),
            };
            parsed.domains.push(DomainRule {
                suffix: to_ascii(&suffix),
                port,
                match_host,
            });
        }
        parsed
    }

    /// Whether a request to `host` (ASCII, no brackets) on `port` goes direct.
    fn bypasses(&self, host: &str, port: &str) -> bool {
        // Go re-splits `host:port`; a host with brackets in it does not survive that and
        // the request goes direct.
        if host.contains(['[', ']']) {
            return true;
        }
        if host == "localhost" {
            return true;
        }
        let ip = parse_request_ip(host);
        if ip.is_some_and(is_loopback) {
            return true;
        }
        if self.all {
            return true;
        }
        let host = host.trim().to_lowercase();
        if let Some(ip) = ip {
            return self.ips.iter().any(|rule| match rule {
                IpRule::Cidr { network, prefix } => cidr_contains(*network, *prefix, ip),
                IpRule::Addr {
                    ip: listed,
                    port: p,
                } => *listed == ip && (p.is_empty() || p == port),
            });
        }
        self.domains.iter().any(|rule| {
            let name_matches =
                host.ends_with(&rule.suffix) || (rule.match_host && host == rule.suffix[1..]);
            name_matches && (rule.port.is_empty() || rule.port == port)
        })
    }
}

/// A request host as an IP address, the way Go's `netip.ParseAddr` reads it: strict
/// dotted-quad IPv4, or IPv6 with an optional non-empty `%zone` (ignored).
fn parse_request_ip(host: &str) -> Option<IpAddr> {
    if host.contains(':') {
        let addr = match host.split_once('%') {
            Some((_, "")) => return None,
            Some((addr, _zone)) => addr,
            None => host,
        };
        addr.parse::<Ipv6Addr>()
            .ok()
            .map(|ip| canonical_ip(IpAddr::V6(ip)))
    } else {
        host.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) as IPv4, as Go's `To4` compares them.
fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match canonical_ip(ip) {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback(),
    }
}

/// `address/prefix` (no zone, decimal prefix within the family's width), masked and
/// with IPv4-mapped networks folded to IPv4.
fn parse_cidr(entry: &str) -> Option<(IpAddr, u8)> {
    let (addr, prefix) = entry.split_once('/')?;
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ip: IpAddr = addr.parse().ok()?;
    let width = if ip.is_ipv4() { 32 } else { 128 };
    let prefix: u32 = prefix.parse().ok().filter(|&p| p <= width)?;
    let network = mask(ip, prefix);
    Some(match network {
        IpAddr::V6(v6) if prefix >= 96 => match v6.to_ipv4_mapped() {
            Some(v4) => (IpAddr::V4(v4), (prefix - 96) as u8),
            None => (network, prefix as u8),
        },
        _ => (network, prefix as u8),
    })
}

fn mask(ip: IpAddr, prefix: u32) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4) & u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            IpAddr::V4(bits.into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
            IpAddr::V6(bits.into())
        }
    }
}

fn cidr_contains(network: IpAddr, prefix: u8, ip: IpAddr) -> bool {
    match (network, ip) {
        (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
            mask(ip, u32::from(prefix)) == network
        }
        _ => false,
    }
}

/// `host:port` or `[host]:port` split as Go's `net.SplitHostPort` does (the port may be
/// empty and is not checked); `None` where Go reports an error.
fn split_host_port(s: &str) -> Option<(&str, &str)> {
    let colon = s.rfind(':')?;
    let (host, open_from, close_from) = if s.starts_with('[') {
        let end = s.find(']')?;
        if end + 1 != colon {
            return None;
        }
        (&s[1..end], 1, end + 1)
    } else {
        let host = &s[..colon];
        if host.contains(':') {
            return None;
        }
        (host, 0, 0)
    };
    if s[open_from..].contains('[') || s[close_from..].contains(']') {
        return None;
    }
    Some((host, &s[colon + 1..]))
}

/// A host name in ASCII: non-ASCII labels lower-cased and Punycode-encoded (`xn--`).
fn to_ascii(host: &str) -> String {
    if host.is_ascii() {
        return host.to_owned();
    }
    let labels: Option<Vec<String>> = host
        .split('.')
        .map(|label| {
            if label.is_ascii() {
                Some(label.to_owned())
            } else {
                punycode(&label.to_lowercase()).map(|p| format!("xn--{p}"))
            }
        })
        .collect();
    labels.map_or_else(|| host.to_owned(), |l| l.join("."))
}

/// RFC 3492 Punycode encoding of one label (without the `xn--` prefix); `None` on
/// arithmetic overflow.
fn punycode(label: &str) -> Option<String> {
    const BASE: u32 = 36;
    const T_MIN: u32 = 1;
    const T_MAX: u32 = 26;
    const SKEW: u32 = 38;
    const DAMP: u32 = 700;
    fn adapt(delta: u32, points: u32, first: bool) -> u32 {
        let mut delta = if first { delta / DAMP } else { delta / 2 };
        delta += delta / points;
        let mut k = 0;
        while delta > ((BASE - T_MIN) * T_MAX) / 2 {
            delta /= BASE - T_MIN;
            k += BASE;
        }
        k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
    }
    fn digit(d: u32) -> char {
        // d < 36 by construction.
        let d = d as u8;
        char::from(if d < 26 { b'a' + d } else { b'0' + d - 26 })
    }
    let code_points: Vec<u32> = label.chars().map(u32::from).collect();
    let mut out: String = label.chars().filter(char::is_ascii).collect();
    let basic = out.len() as u32;
    let mut handled = basic;
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias) = (128u32, 0u32, 72u32);
    while (handled as usize) < code_points.len() {
        let m = code_points.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &code_points {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One row of Go's `proxyForURLTests` (x/net http/httpproxy/proxy_test.go).
    struct Row {
        http: &'static str,
        https: &'static str,
        no_proxy: &'static str,
        cgi: bool,
        /// Request URL; Go's blank means `http://example.com`.
        req: &'static str,
        /// Expected proxy; `None` is Go's `<nil>`.
        want: Option<&'static str>,
    }

    const fn row(http: &'static str, req: &'static str, want: Option<&'static str>) -> Row {
        Row {
            http,
            https: "",
            no_proxy: "",
            cgi: false,
            req,
            want,
        }
    }

    fn check(row: &Row) {
        let config = ProxyConfig::from_values(row.http, row.https, row.no_proxy, row.cgi)
            .unwrap_or_else(|e| panic!("config for {:?}/{:?}: {e}", row.http, row.https));
        let req: Uri = row.req.parse().unwrap();
        let got = config.proxy_for(&req).unwrap();
        let want = row.want.map(|w| w.parse::<Uri>().unwrap());
        assert_eq!(
            got, want,
            "http_proxy={:?} https_proxy={:?} no_proxy={:?} req={:?}",
            row.http, row.https, row.no_proxy, row.req
        );
    }

    #[test]
    fn proxy_for_url_matches_go_table() {
        let ex = "http://example.com";
        let rows = [
            // {HTTPProxy: "127.0.0.1:8080"} => http://127.0.0.1:8080
            row("127.0.0.1:8080", ex, Some("http://127.0.0.1:8080")),
            // {HTTPProxy: "cache.corp.example.com:1234"}
            row(
                "cache.corp.example.com:1234",
                ex,
                Some("http://cache.corp.example.com:1234"),
            ),
            // {HTTPProxy: "cache.corp.example.com"}
            row(
                "cache.corp.example.com",
                ex,
                Some("http://cache.corp.example.com"),
            ),
            // {HTTPProxy: "localhost"}: a single label is not a scheme
            row("localhost", ex, Some("http://localhost")),
            // {HTTPProxy: "https://cache.corp.example.com"}
            row(
                "https://cache.corp.example.com",
                ex,
                Some("https://cache.corp.example.com"),
            ),
            // {HTTPProxy: "http://127.0.0.1:8080"}
            row("http://127.0.0.1:8080", ex, Some("http://127.0.0.1:8080")),
            // {HTTPProxy: "https://127.0.0.1:8080"}
            row("https://127.0.0.1:8080", ex, Some("https://127.0.0.1:8080")),
            // {HTTPProxy: "socks5://127.0.0.1"}
            row("socks5://127.0.0.1", ex, Some("socks5://127.0.0.1")),
            // {HTTPProxy: "foo://host"}: unknown schemes are preserved
            row("foo://host", ex, Some("foo://host")),
            // {HTTPProxy: "http.proxy.tld", HTTPSProxy: "secure.proxy.tld"},
            // req http://insecure.tld/: don't use the secure proxy for http
            Row {
                https: "secure.proxy.tld",
                ..row(
                    "http.proxy.tld",
                    "http://insecure.tld/",
                    Some("http://http.proxy.tld"),
                )
            },
            // same config, req https://secure.tld/: use the secure proxy for https
            Row {
                https: "secure.proxy.tld",
                ..row(
                    "http.proxy.tld",
                    "https://secure.tld/",
                    Some("http://secure.proxy.tld"),
                )
            },
            // {HTTPProxy: "http.proxy.tld", HTTPSProxy: "https://secure.proxy.tld"}
            Row {
                https: "https://secure.proxy.tld",
                ..row(
                    "http.proxy.tld",
                    "https://secure.tld/",
                    Some("https://secure.proxy.tld"),
                )
            },
            // {HTTPProxy: "http.proxy.tld"}, req https://secure.tld/ => <nil>
            row("http.proxy.tld", "https://secure.tld/", None),
            // {HTTPProxy: "http.proxy.tld"}, req ftp://insecure.tld/ => <nil>
            row("http.proxy.tld", "ftp://insecure.tld/", None),
            // (CGI + HTTPProxy is an error: cgi_refuses_http_proxy below)
            // {HTTPSProxy: "https://secure.proxy.tld", CGI: true}, req https://secure.tld/:
            // HTTPS proxy still used in a CGI environment
            Row {
                https: "https://secure.proxy.tld",
                cgi: true,
                ..row("", "https://secure.tld/", Some("https://secure.proxy.tld"))
            },
            // {} => <nil>
            row("", ex, None),
            // {NoProxy: "example.com", HTTPProxy: "proxy"}, req http://example.com/ => <nil>
            Row {
                no_proxy: "example.com",
                ..row("proxy", "http://example.com/", None)
            },
            // {NoProxy: ".example.com", HTTPProxy: "proxy"}, req http://example.com/
            Row {
                no_proxy: ".example.com",
                ..row("proxy", "http://example.com/", Some("http://proxy"))
            },
            // {NoProxy: "ample.com", HTTPProxy: "proxy"}, req http://example.com/
            Row {
                no_proxy: "ample.com",
                ..row("proxy", "http://example.com/", Some("http://proxy"))
            },
            // {NoProxy: "example.com", HTTPProxy: "proxy"}, req http://foo.example.com/
            Row {
                no_proxy: "example.com",
                ..row("proxy", "http://foo.example.com/", None)
            },
            // {NoProxy: ".foo.com", HTTPProxy: "proxy"}, req http://example.com/
            Row {
                no_proxy: ".foo.com",
                ..row("proxy", "http://example.com/", Some("http://proxy"))
            },
            // {NoProxy: ".示例.com", HTTPProxy: "proxy"}, req http://www.示例.com
            // (http::Uri holds ASCII hosts only, so the request is written in the
            // Punycode form a URL library hands over)
            Row {
                no_proxy: ".示例.com",
                ..row("proxy", "http://www.xn--fsq092h.com", None)
            },
            // {NoProxy: "xn--fsq092h.com", HTTPProxy: "proxy"}, req http://www.示例.com
            Row {
                no_proxy: "xn--fsq092h.com",
                ..row("proxy", "http://www.xn--fsq092h.com", None)
            },
            // {NoProxy: "示例.com", HTTPProxy: "proxy"}, req http://www.xn--fsq092h.com
            Row {
                no_proxy: "示例.com",
                ..row("proxy", "http://www.xn--fsq092h.com", None)
            },
            // {NoProxy: "example.com", HTTPProxy: "proxy"},
            // req http://[1000::%25.example.com]:123: a zone is not a domain
            Row {
                no_proxy: "example.com",
                ..row(
                    "proxy",
                    "http://[1000::%25.example.com]:123",
                    Some("http://proxy"),
                )
            },
        ];
        for r in &rows {
            check(r);
        }
    }

    #[test]
    fn cgi_refuses_http_proxy() {
        // {HTTPProxy: "http://10.1.2.3:8080", CGI: true} => error, "refusing to use
        // HTTP_PROXY value in CGI environment"
        let config = ProxyConfig::from_values("http://10.1.2.3:8080", "", "", true).unwrap();
        let err = config
            .proxy_for(&"http://example.com".parse().unwrap())
            .unwrap_err();
        assert_eq!(err, ProxyError::CgiHttpProxy);
        assert!(err.to_string().contains("refusing to use HTTP_PROXY"));
        // Checked before NO_PROXY and loopback, as Go does.
        let config = ProxyConfig::from_values("proxy", "", "*", true).unwrap();
        assert!(
            config
                .proxy_for(&"http://localhost/".parse().unwrap())
                .is_err()
        );
    }

    #[test]
    fn from_environment_matches_go() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        // TestFromEnvironment: upper case, REQUEST_METHOD empty.
        let c = ProxyConfig::from_lookup(env(&[
            ("HTTP_PROXY", "httpproxy"),
            ("HTTPS_PROXY", "httpsproxy"),
            ("NO_PROXY", "noproxy"),
            ("REQUEST_METHOD", ""),
        ]))
        .unwrap();
        assert_eq!(c.http, Some("http://httpproxy".parse().unwrap()));
        assert_eq!(c.https, Some("http://httpsproxy".parse().unwrap()));
        assert_eq!(c.no_proxy.domains[0].suffix, ".noproxy");
        assert!(!c.cgi);
        // TestFromEnvironmentWithRequestMethod: REQUEST_METHOD=PUT means CGI.
        let c = ProxyConfig::from_lookup(env(&[
            ("HTTP_PROXY", "httpproxy"),
            ("REQUEST_METHOD", "PUT"),
        ]))
        .unwrap();
        assert!(c.cgi);
        // TestFromEnvironmentLowerCase.
        let c = ProxyConfig::from_lookup(env(&[
            ("http_proxy", "httpproxy"),
            ("https_proxy", "httpsproxy"),
            ("no_proxy", "noproxy"),
        ]))
        .unwrap();
        assert_eq!(c.http, Some("http://httpproxy".parse().unwrap()));
        assert_eq!(c.https, Some("http://httpsproxy".parse().unwrap()));
        assert_eq!(c.no_proxy.domains.len(), 1);
        // Upper case wins; set-but-empty upper case falls through to lower case.
        let c = ProxyConfig::from_lookup(env(&[
            ("HTTPS_PROXY", "upper"),
            ("https_proxy", "lower"),
            ("HTTP_PROXY", ""),
            ("http_proxy", "lower"),
        ]))
        .unwrap();
        assert_eq!(c.https, Some("http://upper".parse().unwrap()));
        assert_eq!(c.http, Some("http://lower".parse().unwrap()));
    }

    /// Go's `noProxy` list for `TestUseProxy`.
    const NO_PROXY: &str = "foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, \
        192.168.1.2:81, 192.168.1.3:80, 10.0.0.0/30, 2001:db8::52:0:1, \
        [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, 2002:db8:a::45/64";

    /// Go's `UseProxyTests`: host (requested on port 80) and whether it is proxied.
    const USE_PROXY: &[(&str, bool)] = &[
        // Never proxy localhost:
        ("localhost", false),
        ("127.0.0.1", false),
        ("127.0.0.2", false),
        ("[::1]", false),
        ("[::2]", true),                       // not a loopback address
        ("192.168.1.1", false),                // matches exact IPv4
        ("192.168.1.2", true),                 // ports do not match
        ("192.168.1.3", false),                // matches exact IPv4:port
        ("192.168.1.4", true),                 // no match
        ("10.0.0.2", false),                   // matches IPv4/CIDR
        ("[2001:db8::52:0:1]", false),         // matches exact IPv6
        ("[2001:db8::52:0:2]", true),          // no match
        ("[2001:db8::52:0:3]", false),         // matches exact [IPv6]:port
        ("[2002:db8:a::123]", false),          // matches IPv6/CIDR
        ("[fe80::424b:c8be:1643:a1b6]", true), // no match
        ("barbaz.net", true),                  // does not match as .barbaz.net
        ("www.barbaz.net", false),             // does match as .barbaz.net
        ("foobar.com", false),                 // does match as foobar.com
        ("www.foobar.com", false),             // match because NO_PROXY includes "foobar.com"
        ("foofoobar.com", true),               // not match as a part of foobar.com
        ("baz.com", true),                     // not match as a part of barbaz.com
        ("localhost.net", true),               // not match as suffix of address
        ("local.localhost", true),             // not match as prefix as address
        ("barbarbaz.net", true),               // not match, wrong domain
        ("wildcard.io", true),                 // does not match as *.wildcard.io
        ("nested.wildcard.io", false),         // match as *.wildcard.io
        ("awildcard.io", true),                // not a match because of '*'
    ];

    fn proxied(no_proxy: &str, url: &str) -> bool {
        ProxyConfig::from_values("http://proxy.example.org", "", no_proxy, false)
            .unwrap()
            .proxy_for(&url.parse().unwrap())
            .unwrap()
            .is_some()
    }

    #[test]
    fn use_proxy_matches_go_table() {
        for (host, want) in USE_PROXY {
            let url = format!("http://{host}:80/");
            assert_eq!(proxied(NO_PROXY, &url), *want, "NO_PROXY list, host {host}");
        }
    }

    #[test]
    fn invalid_no_proxy_entry_is_ignored() {
        // TestInvalidNoProxy: NO_PROXY=":1" must not panic and proxies example.com:80.
        assert!(proxied(":1", "http://example.com:80/"));
    }

    #[test]
    fn no_proxy_star_disables_proxy_for_every_host() {
        // TestAllNoProxy: "*" bypasses the proxy for every UseProxyTests host.
        for (host, _) in USE_PROXY {
            let url = format!("http://{host}:80/");
            assert!(!proxied("*", &url), "NO_PROXY=*, host {host}");
        }
    }

    #[test]
    fn benchmark_rows_with_https_proxy() {
        // BenchmarkProxyForURL's configuration (https requests to host:80) decides as
        // TestUseProxy does.
        let config = ProxyConfig::from_values(
            "http://proxy.example.org",
            "https://proxy.example.org",
            NO_PROXY,
            false,
        )
        .unwrap();
        for (host, want) in USE_PROXY {
            let url: Uri = format!("https://{host}:80").parse().unwrap();
            let got = config.proxy_for(&url).unwrap();
            assert_eq!(got.is_some(), *want, "https, host {host}");
        }
    }

    #[test]
    fn edge_cases_follow_go() {
        // Only the exact spelling "localhost" is special; names under .localhost and
        // other spellings are proxied (Go compares before lower-casing).
        assert!(proxied("", "http://foo.localhost/"));
        assert!(proxied("", "http://LOCALHOST/"));
        assert!(!proxied("", "http://localhost:8080/"));
        // The whole of 127.0.0.0/8 and IPv4-mapped loopback are never proxied.
        assert!(!proxied("", "http://127.255.0.1/"));
        assert!(!proxied("", "http://[::ffff:127.0.0.1]/"));
        // A request's default port comes from its scheme.
        assert!(!proxied("example.com:80", "http://example.com/"));
        assert!(proxied("example.com:443", "http://example.com/"));
        assert!(!proxied("example.com:8080", "http://example.com:8080/"));
        // An entry with an empty port matches every port.
        assert!(!proxied("example.com:", "http://example.com:8080/"));
        // NO_PROXY is trimmed and lower-cased; the request host is lower-cased.
        assert!(!proxied("  EXAMPLE.com  ,", "http://WWW.Example.COM/"));
        // Domain entries never match an IP request; CIDRs in IPv4-mapped form do.
        assert!(proxied("1.2.3.4.nip.io,4", "http://1.2.3.4/"));
        assert!(!proxied("10.0.0.0/8", "http://[::ffff:10.1.2.3]/"));
        assert!(!proxied("::ffff:10.0.0.0/104", "http://10.1.2.3/"));
        assert!(proxied("::/0", "http://10.1.2.3/"));
        assert!(!proxied("::/0", "http://[2001:db8::1]/"));
        // Exact IPv4 entries match IPv4-mapped requests.
        assert!(!proxied("10.1.2.3", "http://[::ffff:10.1.2.3]/"));
        // Host-less entries are ignored.
        assert!(proxied(":80,[]:80", "http://example.com/"));
        // "*" anywhere in the list wins.
        assert!(!proxied("foo.com,*", "http://example.com/"));
        // A CIDR's address is masked.
        assert!(!proxied("10.0.0.9/30", "http://10.0.0.10/"));
        assert!(proxied("10.0.0.9/30", "http://10.0.0.12/"));
        // Non-http(s) schemes are never proxied.
        assert!(proxied("", "http://example.com/"));
        let config = ProxyConfig::from_values("proxy", "proxy", "", false).unwrap();
        let ws: Uri = "ws://example.com/".parse().unwrap();
        assert_eq!(config.proxy_for(&ws).unwrap(), None);
    }

    #[test]
    fn proxy_values_parse_like_go() {
        let parsed = |v: &str| {
            parse_proxy("HTTPS_PROXY", v)
                .unwrap()
                .map(|u| u.to_string())
        };
        assert_eq!(parsed(""), None);
        assert_eq!(parsed("[::1]:3128").as_deref(), Some("http://[::1]:3128/"));
        assert_eq!(
            parsed("user:pa%40ss@proxy:3128").as_deref(),
            Some("http://user:pa%40ss@proxy:3128/")
        );
        assert_eq!(
            parsed("socks5h://localhost").as_deref(),
            Some("socks5h://localhost/")
        );
        assert_eq!(parsed("HTTP://Proxy").as_deref(), Some("http://Proxy/"));
        assert_eq!(
            parsed("proxy/foo://bar").as_deref(),
            Some("http://proxy/foo://bar")
        );
    }

    #[test]
    fn unusable_proxy_values_are_typed_errors_naming_the_variable() {
        for value in ["http://", "http://proxy:abc", "http://pro xy", "http:///x"] {
            let err = ProxyConfig::from_values("", value, "", false).unwrap_err();
            assert!(
                matches!(
                    err,
                    ProxyError::InvalidProxyUrl {
                        variable: "HTTPS_PROXY",
                        ..
                    }
                ),
                "{value}: {err:?}"
            );
            let line = err.to_string();
            assert!(line.starts_with("HTTPS_PROXY="), "{line}");
            assert!(!line.contains('\n'), "{line}");
        }
        // The variable actually read is named, and a password never shows.
        let err = ProxyConfig::from_lookup(|n| {
            (n == "http_proxy").then(|| OsString::from("http://me:secret@proxy:port"))
        })
        .unwrap_err();
        let line = err.to_string();
        assert!(
            line.starts_with("http_proxy=\"http://me:***@proxy:port\""),
            "{line}"
        );
        assert!(!line.contains("secret"), "{line}");
        let config = ProxyConfig::from_values("http://me:secret@proxy", "", "", false).unwrap();
        assert!(!format!("{config:?}").contains("secret"));
    }

    #[test]
    fn punycode_matches_rfc_3492() {
        assert_eq!(punycode("示例").as_deref(), Some("fsq092h"));
        assert_eq!(punycode("bücher").as_deref(), Some("bcher-kva"));
        assert_eq!(punycode("münchen").as_deref(), Some("mnchen-3ya"));
        assert_eq!(to_ascii(".示例.com"), ".xn--fsq092h.com");
    }

    #[test]
    fn split_host_port_follows_go() {
        assert_eq!(split_host_port("a:1"), Some(("a", "1")));
        assert_eq!(split_host_port("a:"), Some(("a", "")));
        assert_eq!(split_host_port("[::1]:80"), Some(("::1", "80")));
        assert_eq!(split_host_port("a"), None);
        assert_eq!(split_host_port("::1"), None);
        assert_eq!(split_host_port("[::1]"), None);
        assert_eq!(split_host_port("[a]b:80"), None);
        assert_eq!(split_host_port("a]:80"), None);
    }
}
