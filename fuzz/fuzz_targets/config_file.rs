//! The config file parser (`config::Config::parse`) and the lookups the server makes.
#![no_main]

use aws_iam_authenticator::config::Config;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = Config::parse(Path::new("fuzz.yaml"), text) {
        for key in ["clusterID", "server.port", "server.mapRoles", "server.backendMode"] {
            let _ = config.get(key);
            let _ = config.string(key);
            let _ = config.bool(key);
            let _ = config.u64(key);
        }
    }
});
