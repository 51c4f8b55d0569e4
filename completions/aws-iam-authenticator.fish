# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_aws_iam_authenticator_global_optspecs
    string join \n c/config= l/log-format= v/log-verbosity= i/cluster-id= feature-gates= h/help V/version
end

function __fish_aws_iam_authenticator_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_aws_iam_authenticator_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_aws_iam_authenticator_using_subcommand
    set -l cmd (__fish_aws_iam_authenticator_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_needs_command" -s c -l config -d 'Load configuration from FILE (YAML or JSON; upstream\'s keys)' -r -F
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_needs_command" -s l -l log-format -d 'Log format (another value logs a warning and uses text, as upstream does)' -r -f -a "text\t'logrus\' text lines'
json\t'one JSON object per line'"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_needs_command" -s v -l log-verbosity -d 'Log level: panic, fatal, error, warn, info, debug or trace' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_needs_command" -s i -l cluster-id -d 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_needs_command" -l feature-gates -d 'Feature gates, as KEY=true|false pairs separated by commas' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_needs_command" -s V -l version -d 'Print version'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_needs_command" -f -a "token" -d 'Authenticate using AWS IAM and get a token for Kubernetes'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_needs_command" -f -a "cache" -d 'List or clear cached tokens and session credentials (see token --cache)'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_needs_command" -f -a "verify" -d 'Verify a token for debugging purposes'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_needs_command" -f -a "doctor" -d 'Check credentials, region, STS endpoint, proxy, CA, STS, clock, cache and kubeconfig'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_needs_command" -f -a "version" -d 'Version will output the current build information'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_needs_command" -f -a "self-update" -d 'Replace this binary with the latest release (tarball installs only)'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_needs_command" -f -a "kubeconfig" -d 'Add an EKS cluster to a kubeconfig, or migrate `aws eks get-token` users to this binary'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_needs_command" -f -a "completion" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand token" -s r -l role -d 'Assume an IAM Role ARN before signing this token' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand token" -s e -l external-id -d 'External ID to pass when assuming the IAM Role' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand token" -s s -l session-name -d 'Session name to pass when assuming the IAM Role' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand token" -l forward-session-name -d 'Enable mapping a federated sessions caller-specified-role-name attribute onto newly assumed sessions. NOTE: Only applicable when a new role is requested via --role' -r -f -a "true\t''
false\t''"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand token" -l role-duration -d 'Duration of the assumed role session (e.g. 900, 15m, 1h; at least 15m for real STS)' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand token" -l region -d 'Region to use for the STS endpoint' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand token" -l profile -d 'AWS profile to use (defaults to AWS_PROFILE, then "default")' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand token" -l token-only -d 'Return only the token for use with Bearer token based tools' -r -f -a "true\t''
false\t''"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand token" -l cache -d 'Cache tokens and assumed-role/MFA session credentials until shortly before they expire' -r -f -a "true\t''
false\t''"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand token" -l cache-storage -d 'Where --cache keeps secrets (files under ~/.kube/cache/aws-iam-authenticator by default)' -r -f -a "file\t'Private files under the cache directory'
keyring\t'The OS keyring (Keychain, Credential Manager, Secret Service or keyutils)'"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand token" -l cache-margin -d 'Reuse a cached token only while it has more than this left (e.g. 60s, 5m)' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand token" -s c -l config -d 'Load configuration from FILE (YAML or JSON; upstream\'s keys)' -r -F
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand token" -s l -l log-format -d 'Log format (another value logs a warning and uses text, as upstream does)' -r -f -a "text\t'logrus\' text lines'
json\t'one JSON object per line'"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand token" -s v -l log-verbosity -d 'Log level: panic, fatal, error, warn, info, debug or trace' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand token" -s i -l cluster-id -d 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand token" -l feature-gates -d 'Feature gates, as KEY=true|false pairs separated by commas' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand token" -l force-refresh -d 'Ignore cached tokens and credentials, and refresh them'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand token" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand token" -s V -l version -d 'Print version'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -s c -l config -d 'Load configuration from FILE (YAML or JSON; upstream\'s keys)' -r -F
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -s l -l log-format -d 'Log format (another value logs a warning and uses text, as upstream does)' -r -f -a "text\t'logrus\' text lines'
json\t'one JSON object per line'"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -s v -l log-verbosity -d 'Log level: panic, fatal, error, warn, info, debug or trace' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -s i -l cluster-id -d 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -l feature-gates -d 'Feature gates, as KEY=true|false pairs separated by commas' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -s V -l version -d 'Print version'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -f -a "list" -d 'List cached entries: kind, storage, cluster, role, profile, region and expiry (never secrets)'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -f -a "clear" -d 'Remove cached entries, from files and the keyring'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format' -r -f -a "text\t'For people: a table, or the line upstream prints for verify'
json\t'JSON'
yaml\t'YAML'"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and __fish_seen_subcommand_from list" -s c -l config -d 'Load configuration from FILE (YAML or JSON; upstream\'s keys)' -r -F
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and __fish_seen_subcommand_from list" -s l -l log-format -d 'Log format (another value logs a warning and uses text, as upstream does)' -r -f -a "text\t'logrus\' text lines'
json\t'one JSON object per line'"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and __fish_seen_subcommand_from list" -s v -l log-verbosity -d 'Log level: panic, fatal, error, warn, info, debug or trace' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and __fish_seen_subcommand_from list" -s i -l cluster-id -d 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and __fish_seen_subcommand_from list" -l feature-gates -d 'Feature gates, as KEY=true|false pairs separated by commas' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and __fish_seen_subcommand_from clear" -s c -l config -d 'Load configuration from FILE (YAML or JSON; upstream\'s keys)' -r -F
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and __fish_seen_subcommand_from clear" -s l -l log-format -d 'Log format (another value logs a warning and uses text, as upstream does)' -r -f -a "text\t'logrus\' text lines'
json\t'one JSON object per line'"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and __fish_seen_subcommand_from clear" -s v -l log-verbosity -d 'Log level: panic, fatal, error, warn, info, debug or trace' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and __fish_seen_subcommand_from clear" -s i -l cluster-id -d 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and __fish_seen_subcommand_from clear" -l feature-gates -d 'Feature gates, as KEY=true|false pairs separated by commas' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and __fish_seen_subcommand_from clear" -l all -d 'Remove everything'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and __fish_seen_subcommand_from clear" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and __fish_seen_subcommand_from clear" -s V -l version -d 'Print version'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "list" -d 'List cached entries: kind, storage, cluster, role, profile, region and expiry (never secrets)'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "clear" -d 'Remove cached entries, from files and the keyring'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand verify" -s t -l token -d 'Token to verify' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand verify" -s o -l output -d 'Output format' -r -f -a "text\t'For people: a table, or the line upstream prints for verify'
json\t'JSON'
yaml\t'YAML'"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand verify" -l partition -d 'The AWS partition. Must be one of: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand verify" -s c -l config -d 'Load configuration from FILE (YAML or JSON; upstream\'s keys)' -r -F
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand verify" -s l -l log-format -d 'Log format (another value logs a warning and uses text, as upstream does)' -r -f -a "text\t'logrus\' text lines'
json\t'one JSON object per line'"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand verify" -s v -l log-verbosity -d 'Log level: panic, fatal, error, warn, info, debug or trace' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand verify" -s i -l cluster-id -d 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand verify" -l feature-gates -d 'Feature gates, as KEY=true|false pairs separated by commas' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand verify" -s V -l version -d 'Print version'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand doctor" -s r -l role -d 'Assume this IAM role first, as `token -r` would' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand doctor" -l profile -d 'AWS profile to use (defaults to AWS_PROFILE, then "default")' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand doctor" -l region -d 'Region to use for the STS endpoint' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand doctor" -s o -l output -d 'Output format' -r -f -a "text\t'One line per check, marked ✓, ⚠ or ✗'
json\t'The JSON report'"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand doctor" -s c -l config -d 'Load configuration from FILE (YAML or JSON; upstream\'s keys)' -r -F
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand doctor" -s l -l log-format -d 'Log format (another value logs a warning and uses text, as upstream does)' -r -f -a "text\t'logrus\' text lines'
json\t'one JSON object per line'"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand doctor" -s v -l log-verbosity -d 'Log level: panic, fatal, error, warn, info, debug or trace' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand doctor" -s i -l cluster-id -d 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand doctor" -l feature-gates -d 'Feature gates, as KEY=true|false pairs separated by commas' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand doctor" -l offline -d 'Make no network call: name the credential source without fetching it, skip STS'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand version" -s o -l output -d 'Output format' -r -f -a "json\t'JSON (upstream\'s keys: `Version`, `Commit`)'
yaml\t'YAML (upstream\'s keys: `version`, `commit`, `date`)'"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand version" -s c -l config -d 'Load configuration from FILE (YAML or JSON; upstream\'s keys)' -r -F
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand version" -s l -l log-format -d 'Log format (another value logs a warning and uses text, as upstream does)' -r -f -a "text\t'logrus\' text lines'
json\t'one JSON object per line'"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand version" -s v -l log-verbosity -d 'Log level: panic, fatal, error, warn, info, debug or trace' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand version" -s i -l cluster-id -d 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand version" -l feature-gates -d 'Feature gates, as KEY=true|false pairs separated by commas' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand version" -s s -l short -d 'Print just the version number'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand version" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand version" -s V -l version -d 'Print version'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand self-update" -l to -d 'Install this release (e.g. 0.2.0) instead of the latest; allows downgrades' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand self-update" -l from -d 'Releases URL to download from (GitHub Releases layout)' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand self-update" -s c -l config -d 'Load configuration from FILE (YAML or JSON; upstream\'s keys)' -r -F
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand self-update" -s l -l log-format -d 'Log format (another value logs a warning and uses text, as upstream does)' -r -f -a "text\t'logrus\' text lines'
json\t'one JSON object per line'"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand self-update" -s v -l log-verbosity -d 'Log level: panic, fatal, error, warn, info, debug or trace' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand self-update" -s i -l cluster-id -d 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand self-update" -l feature-gates -d 'Feature gates, as KEY=true|false pairs separated by commas' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand self-update" -l check -d 'Only report whether a newer release is available'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand self-update" -l force -d 'Reinstall even when the installed version is the latest'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand self-update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand self-update" -s V -l version -d 'Print version'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and not __fish_seen_subcommand_from add migrate help" -s c -l config -d 'Load configuration from FILE (YAML or JSON; upstream\'s keys)' -r -F
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and not __fish_seen_subcommand_from add migrate help" -s l -l log-format -d 'Log format (another value logs a warning and uses text, as upstream does)' -r -f -a "text\t'logrus\' text lines'
json\t'one JSON object per line'"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and not __fish_seen_subcommand_from add migrate help" -s v -l log-verbosity -d 'Log level: panic, fatal, error, warn, info, debug or trace' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and not __fish_seen_subcommand_from add migrate help" -s i -l cluster-id -d 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and not __fish_seen_subcommand_from add migrate help" -l feature-gates -d 'Feature gates, as KEY=true|false pairs separated by commas' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and not __fish_seen_subcommand_from add migrate help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and not __fish_seen_subcommand_from add migrate help" -s V -l version -d 'Print version'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and not __fish_seen_subcommand_from add migrate help" -f -a "add" -d 'Add an EKS cluster (EKS DescribeCluster) to a kubeconfig, with a user that runs this binary'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and not __fish_seen_subcommand_from add migrate help" -f -a "migrate" -d 'Rewrite users that run `aws eks get-token` or upstream aws-iam-authenticator to run this binary'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and not __fish_seen_subcommand_from add migrate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from add" -l cluster -d 'The EKS cluster\'s name' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from add" -l region -d 'The cluster\'s region (default: AWS_REGION, the profile\'s region, IMDS, us-east-1)' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from add" -s r -l role -d 'Assume this IAM role for DescribeCluster, and pass it to `token -r`' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from add" -l profile -d 'AWS profile (also written as AWS_PROFILE in the user\'s exec env)' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from add" -l alias -d 'Name of the context (default: the cluster ARN)' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from add" -l kubeconfig -d 'The kubeconfig to write (default: first entry of KUBECONFIG, else ~/.kube/config)' -r -F
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from add" -s c -l config -d 'Load configuration from FILE (YAML or JSON; upstream\'s keys)' -r -F
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from add" -s l -l log-format -d 'Log format (another value logs a warning and uses text, as upstream does)' -r -f -a "text\t'logrus\' text lines'
json\t'one JSON object per line'"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from add" -s v -l log-verbosity -d 'Log level: panic, fatal, error, warn, info, debug or trace' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from add" -s i -l cluster-id -d 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from add" -l feature-gates -d 'Feature gates, as KEY=true|false pairs separated by commas' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from add" -l dry-run -d 'Print the resulting kubeconfig instead of writing it'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from migrate" -l kubeconfig -d 'The kubeconfig to rewrite (default: first entry of KUBECONFIG, else ~/.kube/config)' -r -F
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from migrate" -s c -l config -d 'Load configuration from FILE (YAML or JSON; upstream\'s keys)' -r -F
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from migrate" -s l -l log-format -d 'Log format (another value logs a warning and uses text, as upstream does)' -r -f -a "text\t'logrus\' text lines'
json\t'one JSON object per line'"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from migrate" -s v -l log-verbosity -d 'Log level: panic, fatal, error, warn, info, debug or trace' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from migrate" -s i -l cluster-id -d 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from migrate" -l feature-gates -d 'Feature gates, as KEY=true|false pairs separated by commas' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from migrate" -s y -l yes -d 'Rewrite without asking'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from migrate" -l dry-run -d 'Print the diff only'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from migrate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from migrate" -s V -l version -d 'Print version'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add an EKS cluster (EKS DescribeCluster) to a kubeconfig, with a user that runs this binary'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from help" -f -a "migrate" -d 'Rewrite users that run `aws eks get-token` or upstream aws-iam-authenticator to run this binary'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand kubeconfig; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand completion" -s c -l config -d 'Load configuration from FILE (YAML or JSON; upstream\'s keys)' -r -F
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand completion" -s l -l log-format -d 'Log format (another value logs a warning and uses text, as upstream does)' -r -f -a "text\t'logrus\' text lines'
json\t'one JSON object per line'"
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand completion" -s v -l log-verbosity -d 'Log level: panic, fatal, error, warn, info, debug or trace' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand completion" -s i -l cluster-id -d 'Specify the cluster ID, a unique-per-cluster identifier for your aws-iam-authenticator installation' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand completion" -l feature-gates -d 'Feature gates, as KEY=true|false pairs separated by commas' -r
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand completion" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand completion" -s V -l version -d 'Print version'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand help; and not __fish_seen_subcommand_from token cache verify doctor version self-update kubeconfig completion help" -f -a "token" -d 'Authenticate using AWS IAM and get a token for Kubernetes'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand help; and not __fish_seen_subcommand_from token cache verify doctor version self-update kubeconfig completion help" -f -a "cache" -d 'List or clear cached tokens and session credentials (see token --cache)'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand help; and not __fish_seen_subcommand_from token cache verify doctor version self-update kubeconfig completion help" -f -a "verify" -d 'Verify a token for debugging purposes'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand help; and not __fish_seen_subcommand_from token cache verify doctor version self-update kubeconfig completion help" -f -a "doctor" -d 'Check credentials, region, STS endpoint, proxy, CA, STS, clock, cache and kubeconfig'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand help; and not __fish_seen_subcommand_from token cache verify doctor version self-update kubeconfig completion help" -f -a "version" -d 'Version will output the current build information'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand help; and not __fish_seen_subcommand_from token cache verify doctor version self-update kubeconfig completion help" -f -a "self-update" -d 'Replace this binary with the latest release (tarball installs only)'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand help; and not __fish_seen_subcommand_from token cache verify doctor version self-update kubeconfig completion help" -f -a "kubeconfig" -d 'Add an EKS cluster to a kubeconfig, or migrate `aws eks get-token` users to this binary'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand help; and not __fish_seen_subcommand_from token cache verify doctor version self-update kubeconfig completion help" -f -a "completion" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand help; and not __fish_seen_subcommand_from token cache verify doctor version self-update kubeconfig completion help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "list" -d 'List cached entries: kind, storage, cluster, role, profile, region and expiry (never secrets)'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "clear" -d 'Remove cached entries, from files and the keyring'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand help; and __fish_seen_subcommand_from kubeconfig" -f -a "add" -d 'Add an EKS cluster (EKS DescribeCluster) to a kubeconfig, with a user that runs this binary'
complete -c aws-iam-authenticator -n "__fish_aws_iam_authenticator_using_subcommand help; and __fish_seen_subcommand_from kubeconfig" -f -a "migrate" -d 'Rewrite users that run `aws eks get-token` or upstream aws-iam-authenticator to run this binary'
