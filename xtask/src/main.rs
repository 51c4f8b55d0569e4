//! Project chores (`cargo run -p xtask -- <task>`); see its `--help`.
fn main() {
    let _ = aws_iam_authenticator::cli::command();
}
