package xds

import (
	"google.golang.org/protobuf/proto"
	discoveryv1 "k8s.io/api/discovery/v1"
)

type protoMessage = proto.Message

type endpointSlice = discoveryv1.EndpointSlice
