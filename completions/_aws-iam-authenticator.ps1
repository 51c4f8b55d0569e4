
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'aws-iam-authenticator' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'aws-iam-authenticator'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'aws-iam-authenticator' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('--log-verbosity', '--log-verbosity', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--cluster-id', '--cluster-id', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--feature-gates', '--feature-gates', [CompletionResultType]::ParameterName, 'Feature gates, as KEY=true|false pairs separated by commas')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Authenticate using AWS IAM and get a token for Kubernetes')
            [CompletionResult]::new('cache', 'cache', [CompletionResultType]::ParameterValue, 'List or clear cached tokens and session credentials (see token --cache)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Verify a token for debugging purposes')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check credentials, region, STS endpoint, proxy, CA, STS, clock, cache and kubeconfig')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Version will output the current build information')
            [CompletionResult]::new('self-update', 'self-update', [CompletionResultType]::ParameterValue, 'Replace this binary with the latest release (tarball installs only)')
            [CompletionResult]::new('kubeconfig', 'kubeconfig', [CompletionResultType]::ParameterValue, 'Add an EKS cluster to a kubeconfig, or migrate `aws eks get-token` users to this binary')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'aws-iam-authenticator;token' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Assume an IAM Role ARN before signing this token')
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'Assume an IAM Role ARN before signing this token')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'External ID to pass when assuming the IAM Role')
            [CompletionResult]::new('--external-id', '--external-id', [CompletionResultType]::ParameterName, 'External ID to pass when assuming the IAM Role')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Session name to pass when assuming the IAM Role')
            [CompletionResult]::new('--session-name', '--session-name', [CompletionResultType]::ParameterName, 'Session name to pass when assuming the IAM Role')
            [CompletionResult]::new('--forward-session-name', '--forward-session-name', [CompletionResultType]::ParameterName, 'Enable mapping a federated sessions caller-specified-role-name attribute onto newly assumed sessions. NOTE: Only applicable when a new role is requested via --role')
            [CompletionResult]::new('--role-duration', '--role-duration', [CompletionResultType]::ParameterName, 'Duration of the assumed role session (e.g. 900, 15m, 1h; at least 15m for real STS)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region to use for the STS endpoint')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (defaults to AWS_PROFILE, then "default")')
            [CompletionResult]::new('--token-only', '--token-only', [CompletionResultType]::ParameterName, 'Return only the token for use with Bearer token based tools')
            [CompletionResult]::new('--cache', '--cache', [CompletionResultType]::ParameterName, 'Cache tokens and assumed-role/MFA session credentials until shortly before they expire')
            [CompletionResult]::new('--cache-storage', '--cache-storage', [CompletionResultType]::ParameterName, 'Where --cache keeps secrets (files under ~/.kube/cache/aws-iam-authenticator by default)')
            [CompletionResult]::new('--cache-margin', '--cache-margin', [CompletionResultType]::ParameterName, 'Reuse a cached token only while it has more than this left (e.g. 60s, 5m)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('--log-verbosity', '--log-verbosity', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--cluster-id', '--cluster-id', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--feature-gates', '--feature-gates', [CompletionResultType]::ParameterName, 'Feature gates, as KEY=true|false pairs separated by commas')
            [CompletionResult]::new('--force-refresh', '--force-refresh', [CompletionResultType]::ParameterName, 'Ignore cached tokens and credentials, and refresh them')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aws-iam-authenticator;cache' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('--log-verbosity', '--log-verbosity', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--cluster-id', '--cluster-id', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--feature-gates', '--feature-gates', [CompletionResultType]::ParameterName, 'Feature gates, as KEY=true|false pairs separated by commas')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List cached entries: kind, storage, cluster, role, profile, region and expiry (never secrets)')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Remove cached entries, from files and the keyring')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'aws-iam-authenticator;cache;list' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('--log-verbosity', '--log-verbosity', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--cluster-id', '--cluster-id', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--feature-gates', '--feature-gates', [CompletionResultType]::ParameterName, 'Feature gates, as KEY=true|false pairs separated by commas')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aws-iam-authenticator;cache;clear' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('--log-verbosity', '--log-verbosity', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--cluster-id', '--cluster-id', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--feature-gates', '--feature-gates', [CompletionResultType]::ParameterName, 'Feature gates, as KEY=true|false pairs separated by commas')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Remove everything')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aws-iam-authenticator;cache;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List cached entries: kind, storage, cluster, role, profile, region and expiry (never secrets)')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Remove cached entries, from files and the keyring')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'aws-iam-authenticator;cache;help;list' {
            break
        }
        'aws-iam-authenticator;cache;help;clear' {
            break
        }
        'aws-iam-authenticator;cache;help;help' {
            break
        }
        'aws-iam-authenticator;verify' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Token to verify')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Token to verify')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--partition', '--partition', [CompletionResultType]::ParameterName, 'The AWS partition. Must be one of: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('--log-verbosity', '--log-verbosity', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--cluster-id', '--cluster-id', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--feature-gates', '--feature-gates', [CompletionResultType]::ParameterName, 'Feature gates, as KEY=true|false pairs separated by commas')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aws-iam-authenticator;doctor' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Assume this IAM role first, as `token -r` would')
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'Assume this IAM role first, as `token -r` would')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (defaults to AWS_PROFILE, then "default")')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region to use for the STS endpoint')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('--log-verbosity', '--log-verbosity', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--cluster-id', '--cluster-id', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--feature-gates', '--feature-gates', [CompletionResultType]::ParameterName, 'Feature gates, as KEY=true|false pairs separated by commas')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Make no network call: name the credential source without fetching it, skip STS')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aws-iam-authenticator;version' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('--log-verbosity', '--log-verbosity', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--cluster-id', '--cluster-id', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--feature-gates', '--feature-gates', [CompletionResultType]::ParameterName, 'Feature gates, as KEY=true|false pairs separated by commas')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Print just the version number')
            [CompletionResult]::new('--short', '--short', [CompletionResultType]::ParameterName, 'Print just the version number')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aws-iam-authenticator;self-update' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Install this release (e.g. 0.2.0) instead of the latest; allows downgrades')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Releases URL to download from (GitHub Releases layout)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('--log-verbosity', '--log-verbosity', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--cluster-id', '--cluster-id', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--feature-gates', '--feature-gates', [CompletionResultType]::ParameterName, 'Feature gates, as KEY=true|false pairs separated by commas')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Only report whether a newer release is available')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Reinstall even when the installed version is the latest')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aws-iam-authenticator;kubeconfig' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('--log-verbosity', '--log-verbosity', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--cluster-id', '--cluster-id', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--feature-gates', '--feature-gates', [CompletionResultType]::ParameterName, 'Feature gates, as KEY=true|false pairs separated by commas')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add an EKS cluster (EKS DescribeCluster) to a kubeconfig, with a user that runs this binary')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Rewrite users that run `aws eks get-token` or upstream aws-iam-authenticator to run this binary')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'aws-iam-authenticator;kubeconfig;add' {
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The EKS cluster''s name')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'The cluster''s region (default: AWS_REGION, the profile''s region, IMDS, us-east-1)')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Assume this IAM role for DescribeCluster, and pass it to `token -r`')
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'Assume this IAM role for DescribeCluster, and pass it to `token -r`')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile (also written as AWS_PROFILE in the user''s exec env)')
            [CompletionResult]::new('--alias', '--alias', [CompletionResultType]::ParameterName, 'Name of the context (default: the cluster ARN)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'The kubeconfig to write (default: first entry of KUBECONFIG, else ~/.kube/config)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('--log-verbosity', '--log-verbosity', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--cluster-id', '--cluster-id', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--feature-gates', '--feature-gates', [CompletionResultType]::ParameterName, 'Feature gates, as KEY=true|false pairs separated by commas')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the resulting kubeconfig instead of writing it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aws-iam-authenticator;kubeconfig;migrate' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'The kubeconfig to rewrite (default: first entry of KUBECONFIG, else ~/.kube/config)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('--log-verbosity', '--log-verbosity', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--cluster-id', '--cluster-id', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--feature-gates', '--feature-gates', [CompletionResultType]::ParameterName, 'Feature gates, as KEY=true|false pairs separated by commas')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Rewrite without asking')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Rewrite without asking')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the diff only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aws-iam-authenticator;kubeconfig;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add an EKS cluster (EKS DescribeCluster) to a kubeconfig, with a user that runs this binary')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Rewrite users that run `aws eks get-token` or upstream aws-iam-authenticator to run this binary')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'aws-iam-authenticator;kubeconfig;help;add' {
            break
        }
        'aws-iam-authenticator;kubeconfig;help;migrate' {
            break
        }
        'aws-iam-authenticator;kubeconfig;help;help' {
            break
        }
        'aws-iam-authenticator;completion' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Load configuration from FILE (YAML or JSON; upstream''s keys)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format (another value logs a warning and uses text, as upstream does)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('--log-verbosity', '--log-verbosity', [CompletionResultType]::ParameterName, 'Log level: panic, fatal, error, warn, info, debug or trace')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--cluster-id', '--cluster-id', [CompletionResultType]::ParameterName, 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation')
            [CompletionResult]::new('--feature-gates', '--feature-gates', [CompletionResultType]::ParameterName, 'Feature gates, as KEY=true|false pairs separated by commas')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aws-iam-authenticator;help' {
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Authenticate using AWS IAM and get a token for Kubernetes')
            [CompletionResult]::new('cache', 'cache', [CompletionResultType]::ParameterValue, 'List or clear cached tokens and session credentials (see token --cache)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Verify a token for debugging purposes')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check credentials, region, STS endpoint, proxy, CA, STS, clock, cache and kubeconfig')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Version will output the current build information')
            [CompletionResult]::new('self-update', 'self-update', [CompletionResultType]::ParameterValue, 'Replace this binary with the latest release (tarball installs only)')
            [CompletionResult]::new('kubeconfig', 'kubeconfig', [CompletionResultType]::ParameterValue, 'Add an EKS cluster to a kubeconfig, or migrate `aws eks get-token` users to this binary')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'aws-iam-authenticator;help;token' {
            break
        }
        'aws-iam-authenticator;help;cache' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List cached entries: kind, storage, cluster, role, profile, region and expiry (never secrets)')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Remove cached entries, from files and the keyring')
            break
        }
        'aws-iam-authenticator;help;cache;list' {
            break
        }
        'aws-iam-authenticator;help;cache;clear' {
            break
        }
        'aws-iam-authenticator;help;verify' {
            break
        }
        'aws-iam-authenticator;help;doctor' {
            break
        }
        'aws-iam-authenticator;help;version' {
            break
        }
        'aws-iam-authenticator;help;self-update' {
            break
        }
        'aws-iam-authenticator;help;kubeconfig' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add an EKS cluster (EKS DescribeCluster) to a kubeconfig, with a user that runs this binary')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Rewrite users that run `aws eks get-token` or upstream aws-iam-authenticator to run this binary')
            break
        }
        'aws-iam-authenticator;help;kubeconfig;add' {
            break
        }
        'aws-iam-authenticator;help;kubeconfig;migrate' {
            break
        }
        'aws-iam-authenticator;help;completion' {
            break
        }
        'aws-iam-authenticator;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
