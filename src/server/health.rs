//! The plain-HTTP health listener's socket (upstream's `:21363`).
//!
//! Go's `ListenAndServe(":21363")` opens one dual-stack socket, `[::]:21363` with
//! `IPV6_V6ONLY` off, so probes reach it over IPv4 and IPv6 alike. We do the same, and
//! fall back to `0.0.0.0` on a host without IPv6 (a kernel booted with `ipv6.disable=1`,
//! some minimal containers). `--health-address` / `server.healthAddress` picks one
//! address instead.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::net::TcpListener;

use super::config::ServerError;

/// Binds the health listener: on `address` when one is configured, else dual-stack
/// `[::]:port`, else `0.0.0.0:port`.
pub fn bind(address: Option<&str>, port: u16) -> Result<TcpListener, ServerError> {
    if let Some(address) = address {
        let ip = parse_address(address)?;
        let addr = SocketAddr::new(ip, port);
        return listen(addr, false).map_err(|source| ServerError::Listen { addr, source });
    }
    let any6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port);
    match listen(any6, true) {
        Ok(listener) => Ok(listener),
        Err(e) if no_ipv6(&e) => {
            tracing::info!("IPv6 is unavailable ({e}); the health listener serves IPv4 only");
            let any4 = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port);
            listen(any4, false).map_err(|source| ServerError::Listen { addr: any4, source })
        }
        Err(source) => Err(ServerError::Listen { addr: any6, source }),
    }
}

/// `--health-address`: an IP literal, optionally in brackets (`[::1]`).
pub fn parse_address(address: &str) -> Result<IpAddr, ServerError> {
    let bare = address
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(address);
    bare.parse().map_err(|_| {
        ServerError::Config(format!(
            "invalid health address {address:?}: use an IP address such as 0.0.0.0 or ::"
        ))
    })
}

/// Whether a bind failure means the host has no IPv6 at all (rather than, say, the
/// port being taken, which must stay an error).
fn no_ipv6(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        e.kind(),
        ErrorKind::AddrNotAvailable | ErrorKind::Unsupported | ErrorKind::InvalidInput
    ) || matches!(
        e.raw_os_error(),
        Some(97 /* EAFNOSUPPORT */ | 93 /* EPROTONOSUPPORT */)
    )
}

/// A listening socket on `addr`; `dual_stack` turns `IPV6_V6ONLY` off, as Go does for
/// a wildcard address.
fn listen(addr: SocketAddr, dual_stack: bool) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        socket.set_only_v6(!dual_stack)?;
    }
    // As Go and tokio do for listeners: a restart need not wait out TIME_WAIT.
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    TcpListener::from_std(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_with_or_without_brackets() {
        assert_eq!(
            parse_address("[::1]").unwrap(),
            IpAddr::V6(Ipv6Addr::LOCALHOST)
        );
        assert_eq!(
            parse_address("127.0.0.1").unwrap(),
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
        let err = parse_address("localhost").unwrap_err().to_string();
        assert!(
            err.contains("invalid health address \"localhost\""),
            "{err}"
        );
    }

    /// The default listener answers on IPv4 and IPv6 loopback alike, as Go's `:port`.
    #[tokio::test]
    async fn default_listener_is_dual_stack() {
        let listener = bind(None, 0).unwrap();
        let local = listener.local_addr().unwrap();
        let port = local.port();
        if local.is_ipv6() {
            assert!(local.ip().is_unspecified(), "{local}");
            tokio::net::TcpStream::connect((Ipv6Addr::LOCALHOST, port))
                .await
                .unwrap();
        }
        tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_configured_address_is_used_alone() {
        let listener = bind(Some("127.0.0.1"), 0).unwrap();
        assert_eq!(
            listener.local_addr().unwrap().ip(),
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
        // The port taken is an error, not a silent fallback.
        let port = listener.local_addr().unwrap().port();
        assert!(matches!(
            bind(Some("127.0.0.1"), port),
            Err(ServerError::Listen { .. })
        ));
    }
}
