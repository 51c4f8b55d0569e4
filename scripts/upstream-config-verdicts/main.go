// Upstream's config-file decoding (cmd/aws-iam-authenticator/root.go getConfig), reduced to
// the calls that read the server keys, to state upstream's verdict on each file in
// cases/. Run with ./run.sh.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/viper"
)

type SSOARNMatcher struct {
	PermissionSetName string
	AccountID         string
	Partition         string
}
type RoleMapping struct {
	RoleARN  string
	SSO      *SSOARNMatcher
	Username string
	Groups   []string
	UserID   string
}
type UserMapping struct {
	UserARN  string
	Username string
	Groups   []string
	UserID   string
}
type ReservedPrefixConfig struct {
	BackendMode               string
	UsernamePrefixReserveList []string
}

func main() {
	for _, path := range os.Args[1:] {
		v := viper.New()
		v.SetConfigFile(path)
		out := map[string]interface{}{}
		if err := v.ReadInConfig(); err != nil {
			fmt.Printf("%s\tREAD ERROR %v\n", path, err)
			continue
		}
		var roles []RoleMapping
		var users []UserMapping
		var accounts []string
		var rpc []ReservedPrefixConfig
		errs := []string{}
		if err := v.UnmarshalKey("server.mapRoles", &roles); err != nil {
			errs = append(errs, "mapRoles: "+err.Error())
		}
		if err := v.UnmarshalKey("server.mapUsers", &users); err != nil {
			errs = append(errs, "mapUsers: "+err.Error())
		}
		if err := v.UnmarshalKey("server.mapAccounts", &accounts); err != nil {
			errs = append(errs, "mapAccounts: "+err.Error())
		}
		if err := v.UnmarshalKey("server.reservedPrefixConfig", &rpc); err != nil {
			errs = append(errs, "reservedPrefixConfig: "+err.Error())
		}
		out["roles"] = roles
		out["users"] = users
		out["accounts"] = accounts
		out["rpc"] = rpc
		out["port"] = v.GetInt("server.port")
		out["qps"] = v.GetInt("server.ec2DescribeInstancesQps")
		out["burst"] = v.GetInt("server.ec2DescribeInstancesBurst")
		out["pregen"] = v.GetBool("server.kubeconfigPregenerated")
		out["strict"] = v.GetBool("server.dynamicfileUserIDStrict")
		out["hostname"] = v.GetString("server.hostname")
		out["stateDir"] = v.GetString("server.stateDir")
		out["scrubbed"] = v.GetStringSlice("server.scrubbedAccounts")
		out["errors"] = errs
		b, _ := json.Marshal(out)
		fmt.Printf("%s\t%s\n", path, b)
	}
}
