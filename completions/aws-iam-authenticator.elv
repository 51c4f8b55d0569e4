
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
            cand doctor 'Check credentials, region, STS endpoint, proxy, CA, STS, clock, cache and kubeconfig'
            cand version 'Version will output the current build information'
            cand self-update 'Replace this binary with the latest release (tarball installs only)'
            cand kubeconfig 'Add an EKS cluster to a kubeconfig, or migrate `aws eks get-token` users to this binary'
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
        &'aws-iam-authenticator;doctor'= {
            cand -r 'Assume this IAM role first, as `token -r` would'
            cand --role 'Assume this IAM role first, as `token -r` would'
            cand --profile 'AWS profile to use (defaults to AWS_PROFILE, then "default")'
            cand --region 'Region to use for the STS endpoint'
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
            cand --offline 'Make no network call: name the credential source without fetching it, skip STS'
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
        &'aws-iam-authenticator;kubeconfig'= {
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
            cand add 'Add an EKS cluster (EKS DescribeCluster) to a kubeconfig, with a user that runs this binary'
            cand migrate 'Rewrite users that run `aws eks get-token` or upstream aws-iam-authenticator to run this binary'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'aws-iam-authenticator;kubeconfig;add'= {
            cand --cluster 'The EKS cluster''s name'
            cand --region 'The cluster''s region (default: AWS_REGION, the profile''s region, IMDS, us-east-1)'
            cand -r 'Assume this IAM role for DescribeCluster, and pass it to `token -r`'
            cand --role 'Assume this IAM role for DescribeCluster, and pass it to `token -r`'
            cand --profile 'AWS profile (also written as AWS_PROFILE in the user''s exec env)'
            cand --alias 'Name of the context (default: the cluster ARN)'
            cand --kubeconfig 'The kubeconfig to write (default: first entry of KUBECONFIG, else ~/.kube/config)'
            cand -c 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand --config 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand -l 'Log format (another value logs a warning and uses text, as upstream does)'
            cand --log-format 'Log format (another value logs a warning and uses text, as upstream does)'
            cand -v 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand --log-verbosity 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand -i 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --cluster-id 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --feature-gates 'Feature gates, as KEY=true|false pairs separated by commas'
            cand --dry-run 'Print the resulting kubeconfig instead of writing it'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aws-iam-authenticator;kubeconfig;migrate'= {
            cand --kubeconfig 'The kubeconfig to rewrite (default: first entry of KUBECONFIG, else ~/.kube/config)'
            cand -c 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand --config 'Load configuration from FILE (YAML or JSON; upstream''s keys)'
            cand -l 'Log format (another value logs a warning and uses text, as upstream does)'
            cand --log-format 'Log format (another value logs a warning and uses text, as upstream does)'
            cand -v 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand --log-verbosity 'Log level: panic, fatal, error, warn, info, debug or trace'
            cand -i 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --cluster-id 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation'
            cand --feature-gates 'Feature gates, as KEY=true|false pairs separated by commas'
            cand -y 'Rewrite without asking'
            cand --yes 'Rewrite without asking'
            cand --dry-run 'Print the diff only'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aws-iam-authenticator;kubeconfig;help'= {
            cand add 'Add an EKS cluster (EKS DescribeCluster) to a kubeconfig, with a user that runs this binary'
            cand migrate 'Rewrite users that run `aws eks get-token` or upstream aws-iam-authenticator to run this binary'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'aws-iam-authenticator;kubeconfig;help;add'= {
        }
        &'aws-iam-authenticator;kubeconfig;help;migrate'= {
        }
        &'aws-iam-authenticator;kubeconfig;help;help'= {
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
            cand doctor 'Check credentials, region, STS endpoint, proxy, CA, STS, clock, cache and kubeconfig'
            cand version 'Version will output the current build information'
            cand self-update 'Replace this binary with the latest release (tarball installs only)'
            cand kubeconfig 'Add an EKS cluster to a kubeconfig, or migrate `aws eks get-token` users to this binary'
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
        &'aws-iam-authenticator;help;doctor'= {
        }
        &'aws-iam-authenticator;help;version'= {
        }
        &'aws-iam-authenticator;help;self-update'= {
        }
        &'aws-iam-authenticator;help;kubeconfig'= {
            cand add 'Add an EKS cluster (EKS DescribeCluster) to a kubeconfig, with a user that runs this binary'
            cand migrate 'Rewrite users that run `aws eks get-token` or upstream aws-iam-authenticator to run this binary'
        }
        &'aws-iam-authenticator;help;kubeconfig;add'= {
        }
        &'aws-iam-authenticator;help;kubeconfig;migrate'= {
        }
        &'aws-iam-authenticator;help;completion'= {
        }
        &'aws-iam-authenticator;help;help'= {
        }
    ]
    $completions[$command]
}
