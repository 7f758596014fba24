package localenv

import (
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// contextName names the cluster, user and context in the kubeconfig, so it
// reads sensibly when merged into the user's own (KUBECONFIG=a:b).
const contextName = "sailplane-local"

// writeKubeconfig provisions a cluster-admin user and writes its kubeconfig.
// The file holds a client key, hence mode 0600.
func (e *Env) writeKubeconfig() error {
	user, err := e.env.AddUser(envtest.User{Name: userName, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("provisioning user %s on the embedded API server: %w", userName, err)
	}
	raw, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("building the kubeconfig of user %s: %w", userName, err)
	}
	renamed, err := renameContext(raw)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(e.kubeconfig), 0o755); err != nil {
		return fmt.Errorf("creating the kubeconfig directory: %w", err)
	}
	if err := os.WriteFile(e.kubeconfig, renamed, 0o600); err != nil {
		return fmt.Errorf("writing kubeconfig %s: %w", e.kubeconfig, err)
	}
	return nil
}

// renameContext gives envtest's single cluster, user and context one name
// of ours and makes that context current.
func renameContext(raw []byte) ([]byte, error) {
	in, err := clientcmd.Load(raw)
	if err != nil {
		return nil, fmt.Errorf("reading envtest's kubeconfig: %w", err)
	}
	current, ok := in.Contexts[in.CurrentContext]
	if !ok {
		return nil, fmt.Errorf("envtest's kubeconfig has no context %q", in.CurrentContext)
	}
	cluster, user := in.Clusters[current.Cluster], in.AuthInfos[current.AuthInfo]
	if cluster == nil || user == nil {
		return nil, fmt.Errorf("envtest's kubeconfig context %q lacks its cluster or user", in.CurrentContext)
	}
	out := clientcmdapi.NewConfig()
	out.Clusters[contextName] = cluster
	out.AuthInfos[contextName] = user
	out.Contexts[contextName] = &clientcmdapi.Context{Cluster: contextName, AuthInfo: contextName}
	out.CurrentContext = contextName
	return clientcmd.Write(*out)
}
