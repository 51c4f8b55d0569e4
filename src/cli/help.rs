//! Help text that can be copied: examples are printed line for line.
//!
//! clap's `wrap_help` re-wraps `after_help` to the terminal width, which breaks a long
//! example command across lines, so pasting it runs half a command. Literal text in a
//! `help_template` is printed as written, so each command's `after_help` (its examples)
//! is moved into its template, after the default sections.
//!
//! In a template `{` starts a tag, and clap drops a `{` that no `}` follows before the
//! next `{` (so `{{SessionName}}` would lose a brace). Examples therefore carry
//! [`BRACE`] for `{`, and [`print`] puts the braces back in the rendered help.

use std::io::Write;

use clap::Command;

/// Stands for `{` in examples inside help templates (a private-use character, which no
/// example contains).
const BRACE: char = '\u{E000}';

/// Rendered help with the examples' braces back.
pub(crate) fn restore(rendered: &str) -> String {
    rendered.replace(BRACE, "{")
}

/// Prints what clap reports (help, version, usage errors) as clap would — on its stream,
/// in colour only where clap would use it — with the examples' braces restored.
pub(crate) fn print(report: &clap::Error) {
    let text = restore(&report.render().ansi().to_string());
    let result = if report.use_stderr() {
        let mut out = anstream::AutoStream::auto(std::io::stderr().lock());
        out.write_all(text.as_bytes()).and_then(|()| out.flush())
    } else {
        let mut out = anstream::AutoStream::auto(std::io::stdout().lock());
        out.write_all(text.as_bytes()).and_then(|()| out.flush())
    };
    // Nothing sensible is left to do when the terminal is gone.
    drop(result);
}

/// clap's default help template (`clap_builder`'s `DEFAULT_TEMPLATE`) without
/// `{after-help}`.
const DEFAULT_SECTIONS: &str = "\
{before-help}{about-with-newline}
{usage-heading} {usage}

{all-args}";

/// `cmd` and all its subcommands with their `after_help` printed verbatim.
pub(crate) fn verbatim_examples(cmd: Command) -> Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    let mut cmd = names
        .iter()
        .fold(cmd, |cmd, name| cmd.mut_subcommand(name, verbatim_examples));
    if let Some(examples) = cmd.get_after_help().map(|h| h.to_string()) {
        let examples = examples.replace('{', &BRACE.to_string());
        cmd = cmd
            .help_template(format!("{DEFAULT_SECTIONS}\n\n{examples}"))
            .after_help(None::<&'static str>);
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every example line of every command appears whole in its `--help` on a narrow
    /// terminal (clap would wrap `after_help` at 40 columns).
    #[test]
    fn examples_are_not_rewrapped_on_a_narrow_terminal() {
        fn check(wrapped: &Command, original: &Command, path: &str, checked: &mut usize) {
            if let Some(examples) = original.get_after_help().map(|h| h.to_string()) {
                let help = restore(
                    &wrapped
                        .clone()
                        .term_width(40)
                        .render_long_help()
                        .to_string(),
                );
                for line in examples.lines() {
                    assert!(
                        help.lines().any(|l| l == line),
                        "{path}: {line:?} not verbatim in:\n{help}"
                    );
                    *checked += 1;
                }
            }
            for sub in original.get_subcommands() {
                let name = sub.get_name();
                let Some(w) = wrapped.find_subcommand(name) else {
                    panic!("{path} {name} lost");
                };
                check(w, sub, &format!("{path} {name}"), checked);
            }
        }
        use clap::CommandFactory;
        let original = crate::cli::Cli::command();
        let wrapped = verbatim_examples(crate::cli::Cli::command());
        let mut checked = 0;
        check(&wrapped, &original, "aws-iam-authenticator", &mut checked);
        assert!(checked > 20, "only {checked} example lines");
        // Sanity: a long example line is wider than 40 columns, so clap would have wrapped it.
        assert!(
            original
                .clone()
                .term_width(40)
                .render_long_help()
                .to_string()
                .lines()
                .all(|l| !l.contains(
                    "token -i my-cluster -r arn:aws:iam::111122223333:role/k8s-admin --token-only"
                ))
        );
    }
}
