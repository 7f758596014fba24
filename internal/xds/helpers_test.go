package xds

import "k8s.io/apimachinery/pkg/types"

func typesNN(ns, name string) types.NamespacedName {
	return types.NamespacedName{Namespace: ns, Name: name}
}
