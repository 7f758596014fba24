package xds

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	discoveryv1 "k8s.io/api/discovery/v1"
)

type protoMessage = proto.Message

type endpointSlice = discoveryv1.EndpointSlice

type anyMessage = anypb.Any
