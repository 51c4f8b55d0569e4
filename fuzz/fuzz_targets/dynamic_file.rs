//! The DynamicFile parser and the dynamic backend-mode file parser.
#![no_main]

use aws_iam_authenticator::mapper::dynamic_file::parse;
use aws_iam_authenticator::server::backends::parse_backend_mode_file;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse(data, false);
    let _ = parse(data, true);
    let _ = parse_backend_mode_file(data);
});
