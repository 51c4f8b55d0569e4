//! The aws-auth ConfigMap parser (`mapper::configmap::parse_map`): the input is split on
//! NUL into mapRoles, mapUsers and mapAccounts.
#![no_main]

use aws_iam_authenticator::mapper::configmap::parse_map;
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\0');
    let mut map = BTreeMap::new();
    for key in ["mapRoles", "mapUsers", "mapAccounts"] {
        if let Some(part) = parts.next() {
            map.insert(key.to_string(), part.to_string());
        }
    }
    let _ = parse_map(&map);
});
