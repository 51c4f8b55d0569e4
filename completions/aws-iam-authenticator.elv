
use builtin;
use str;

set edit:completion:arg-completer[aws-iam-authenticator] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'aws-iam-authenticator'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'aws-iam-authenticator'= {
            cand -c 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand --config 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand -l 'Log format (another value logs a warning and uses text, as upstream does)'
            cand --log-format 'Log format (another value logs a warning and uses text, as upstream does)'
            cand -v 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand --log-verbosity 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand -i 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --cluster-id 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --feature-gates 'Feature gates, as KEY=true|false pairs separated by commas'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand token 'Authenticate using AWS IAM and get a token for Kubernetes'
            cand cache 'List or clear cached tokens and session credentials (see token --cache)'
            cand verify 'Verify a token for debugging purposes'
            cand version 'Version will output the current build information'
            cand self-update 'Replace this binary with the latest release (tarball installs only)'
            cand completion 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'aws-iam-authenticator;token'= {
            cand -r 'Assume an IAM Role ARN before signing this token'
            cand --role 'Assume an IAM Role ARN before signing this token'
            cand -e 'External ID to pass when assuming the IAM Role'
            cand --external-id 'External ID to pass when assuming the IAM Role'
            cand -s 'Session name to pass when assuming the IAM Role'
            cand --session-name 'Session name to pass when assuming the IAM Role'
            cand --forward-session-name 'Enable mapping a federated sessions caller-specified-role-name attribute onto newly assumed sessions. NOTE: Only applicable when a new role is requested via --role'
            cand --role-duration 'Duration of the assumed role session (e.g. 900, 15m, 1h; at least 15m for real STS)'
            cand --region 'Region to use for the STS endpoint'
            cand --profile 'AWS profile to use (defaults to AWS_PROFILE, then "default")'
            cand --token-only 'Return only the token for use with Bearer token based tools'
            cand --cache 'Cache tokens and assumed-role/MFA session credentials until shortly before they expire'
            cand --cache-storage 'Where --cache keeps secrets (files under ~/.kube/cache/aws-iam-authenticator by default)'
            cand --cache-margin 'Reuse a cached token only while it has more than this left (e.g. 60s, 5m)'
            cand -c 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand --config 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand -l 'Log format (another value logs a warning and uses text, as upstream does)'
            cand --log-format 'Log format (another value logs a warning and uses text, as upstream does)'
            cand -v 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand --log-verbosity 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand -i 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --cluster-id 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --feature-gates 'Feature gates, as KEY=true|false pairs separated by commas'
            cand --force-refresh 'Ignore cached tokens and credentials, and refresh them'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aws-iam-authenticator;cache'= {
            cand -c 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand --config 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand -l 'Log format (another value logs a warning and uses text, as upstream does)'
            cand --log-format 'Log format (another value logs a warning and uses text, as upstream does)'
            cand -v 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand --log-verbosity 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand -i 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --cluster-id 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --feature-gates 'Feature gates, as KEY=true|false pairs separated by commas'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List cached entries: kind, storage, cluster, role, profile, region and expiry (never secrets)'
            cand clear 'Remove cached entries, from files and the keyring'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'aws-iam-authenticator;cache;list'= {
            cand -o 'Output format'
            cand --output 'Output format'
            cand -c 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand --config 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand -l 'Log format (another value logs a warning and uses text, as upstream does)'
            cand --log-format 'Log format (another value logs a warning and uses text, as upstream does)'
            cand -v 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand --log-verbosity 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand -i 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --cluster-id 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --feature-gates 'Feature gates, as KEY=true|false pairs separated by commas'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aws-iam-authenticator;cache;clear'= {
            cand -c 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand --config 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand -l 'Log format (another value logs a warning and uses text, as upstream does)'
            cand --log-format 'Log format (another value logs a warning and uses text, as upstream does)'
            cand -v 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand --log-verbosity 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand -i 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --cluster-id 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --feature-gates 'Feature gates, as KEY=true|false pairs separated by commas'
            cand --all 'Remove everything'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aws-iam-authenticator;cache;help'= {
            cand list 'List cached entries: kind, storage, cluster, role, profile, region and expiry (never secrets)'
            cand clear 'Remove cached entries, from files and the keyring'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'aws-iam-authenticator;cache;help;list'= {
        }
        &'aws-iam-authenticator;cache;help;clear'= {
        }
        &'aws-iam-authenticator;cache;help;help'= {
        }
        &'aws-iam-authenticator;verify'= {
            cand -t 'Token to verify'
            cand --token 'Token to verify'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --partition 'The AWS partition. Must be one of: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc'
            cand -c 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand --config 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand -l 'Log format (another value logs a warning and uses text, as upstream does)'
            cand --log-format 'Log format (another value logs a warning and uses text, as upstream does)'
            cand -v 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand --log-verbosity 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand -i 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --cluster-id 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --feature-gates 'Feature gates, as KEY=true|false pairs separated by commas'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aws-iam-authenticator;version'= {
            cand -o 'Output format'
            cand --output 'Output format'
            cand -c 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand --config 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand -l 'Log format (another value logs a warning and uses text, as upstream does)'
            cand --log-format 'Log format (another value logs a warning and uses text, as upstream does)'
            cand -v 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand --log-verbosity 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand -i 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --cluster-id 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --feature-gates 'Feature gates, as KEY=true|false pairs separated by commas'
            cand -s 'Print just the version number'
            cand --short 'Print just the version number'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aws-iam-authenticator;self-update'= {
            cand --to 'Install this release (e.g. 0.2.0) instead of the latest; allows downgrades'
            cand --from 'Releases URL to download from (GitHub Releases layout)'
            cand -c 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand --config 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand -l 'Log format (another value logs a warning and uses text, as upstream does)'
            cand --log-format 'Log format (another value logs a warning and uses text, as upstream does)'
            cand -v 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand --log-verbosity 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand -i 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --cluster-id 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --feature-gates 'Feature gates, as KEY=true|false pairs separated by commas'
            cand --check 'Only report whether a newer release is available'
            cand --force 'Reinstall even when the installed version is the latest'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aws-iam-authenticator;completion'= {
            cand -c 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand --config 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand -l 'Log format (another value logs a warning and uses text, as upstream does)'
            cand --log-format 'Log format (another value logs a warning and uses text, as upstream does)'
            cand -v 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand --log-verbosity 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand -i 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --cluster-id 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --feature-gates 'Feature gates, as KEY=true|false pairs separated by commas'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aws-iam-authenticator;help'= {
            cand token 'Authenticate using AWS IAM and get a token for Kubernetes'
            cand cache 'List or clear cached tokens and session credentials (see token --cache)'
            cand verify 'Verify a token for debugging purposes'
            cand version 'Version will output the current build information'
            cand self-update 'Replace this binary with the latest release (tarball installs only)'
            cand completion 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'aws-iam-authenticator;help;token'= {
        }
        &'aws-iam-authenticator;help;cache'= {
            cand list 'List cached entries: kind, storage, cluster, role, profile, region and expiry (never secrets)'
            cand clear 'Remove cached entries, from files and the keyring'
        }
        &'aws-iam-authenticator;help;cache;list'= {
        }
        &'aws-iam-authenticator;help;cache;clear'= {
        }
        &'aws-iam-authenticator;help;verify'= {
        }
        &'aws-iam-authenticator;help;version'= {
        }
        &'aws-iam-authenticator;help;self-update'= {
        }
        &'aws-iam-authenticator;help;completion'= {
        }
        &'aws-iam-authenticator;help;help'= {
        }
    ]
    $completions[$command]
}
