package policy

import (
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

type outlierCase struct {
	name      string
	od        *networkingv1.OutlierDetection
	want      *clusterv3.OutlierDetection
	wantPanic float64
	wantErrs  []FieldError
}

var outlierCases = []outlierCase{
	{
		name: "empty: only success-rate ejection off, panic mode off",
		od:   &networkingv1.OutlierDetection{},
		want: &clusterv3.OutlierDetection{EnforcingSuccessRate: wrapperspb.UInt32(0)},
	},
	{
		name: "5xx and gateway errors with timings",
		od: &networkingv1.OutlierDetection{
			Consecutive5xxErrors: ptr[int32](7), ConsecutiveGatewayErrors: ptr[int32](3),
			Interval: dur("10s"), BaseEjectionTime: dur("3m"), MaxEjectionPercent: 50, MinHealthPercent: 30,
		},
		want: &clusterv3.OutlierDetection{
			EnforcingSuccessRate:               wrapperspb.UInt32(0),
			Consecutive_5Xx:                    wrapperspb.UInt32(7),
			EnforcingConsecutive_5Xx:           wrapperspb.UInt32(100),
			ConsecutiveGatewayFailure:          wrapperspb.UInt32(3),
			EnforcingConsecutiveGatewayFailure: wrapperspb.UInt32(100),
			Interval:                           durationpb.New(10 * time.Second),
			BaseEjectionTime:                   durationpb.New(3 * time.Minute),
			MaxEjectionPercent:                 wrapperspb.UInt32(50),
		},
		wantPanic: 30,
	},
	{
		name: "explicit zero turns the 5xx detector off",
		od:   &networkingv1.OutlierDetection{Consecutive5xxErrors: ptr[int32](0), ConsecutiveGatewayErrors: ptr[int32](5)},
		want: &clusterv3.OutlierDetection{
			EnforcingSuccessRate:               wrapperspb.UInt32(0),
			Consecutive_5Xx:                    wrapperspb.UInt32(0),
			EnforcingConsecutive_5Xx:           wrapperspb.UInt32(0),
			ConsecutiveGatewayFailure:          wrapperspb.UInt32(5),
			EnforcingConsecutiveGatewayFailure: wrapperspb.UInt32(100),
		},
	},
	{
		name: "deprecated consecutiveErrors counts gateway errors only",
		od:   &networkingv1.OutlierDetection{ConsecutiveErrors: 4},
		want: &clusterv3.OutlierDetection{
			EnforcingSuccessRate:               wrapperspb.UInt32(0),
			ConsecutiveGatewayFailure:          wrapperspb.UInt32(4),
			EnforcingConsecutiveGatewayFailure: wrapperspb.UInt32(100),
			EnforcingConsecutive_5Xx:           wrapperspb.UInt32(0),
		},
	},
	{
		name: "consecutive5xxErrors wins over the deprecated field's 5xx switch-off",
		od:   &networkingv1.OutlierDetection{ConsecutiveErrors: 4, Consecutive5xxErrors: ptr[int32](6)},
		want: &clusterv3.OutlierDetection{
			EnforcingSuccessRate:               wrapperspb.UInt32(0),
			ConsecutiveGatewayFailure:          wrapperspb.UInt32(4),
			EnforcingConsecutiveGatewayFailure: wrapperspb.UInt32(100),
			Consecutive_5Xx:                    wrapperspb.UInt32(6),
			EnforcingConsecutive_5Xx:           wrapperspb.UInt32(100),
		},
	},
	{
		name: "local origin errors split out",
		od:   &networkingv1.OutlierDetection{SplitExternalLocalOriginErrors: true, ConsecutiveLocalOriginFailures: ptr[int32](2)},
		want: &clusterv3.OutlierDetection{
			EnforcingSuccessRate:                   wrapperspb.UInt32(0),
			SplitExternalLocalOriginErrors:         true,
			ConsecutiveLocalOriginFailure:          wrapperspb.UInt32(2),
			EnforcingConsecutiveLocalOriginFailure: wrapperspb.UInt32(100),
			EnforcingLocalOriginSuccessRate:        wrapperspb.UInt32(0),
		},
	},
	{
		name: "local origin failures mean nothing without the split",
		od:   &networkingv1.OutlierDetection{ConsecutiveLocalOriginFailures: ptr[int32](2)},
		want: &clusterv3.OutlierDetection{EnforcingSuccessRate: wrapperspb.UInt32(0)},
	},
	{
		name: "invalid values are skipped",
		od: &networkingv1.OutlierDetection{
			Consecutive5xxErrors: ptr[int32](-1), Interval: dur("0s"), BaseEjectionTime: dur("x"),
			MaxEjectionPercent: 101, MinHealthPercent: 200,
		},
		want: &clusterv3.OutlierDetection{EnforcingSuccessRate: wrapperspb.UInt32(0)},
		wantErrs: []FieldError{
			fe(odField+".consecutive5xxErrors", "must not be negative, got -1"),
			fe(odField+".interval", `duration "0s" must be at least 1ms`),
			fe(odField+".baseEjectionTime", `invalid duration "x"`),
			fe(odField+".maxEjectionPercent", "must be between 0 and 100, got 101"),
			fe(odField+".minHealthPercent", "must be between 0 and 100, got 200"),
		},
	},
}

func TestOutlierDetection(t *testing.T) {
	for _, tt := range outlierCases {
		t.Run(tt.name, func(t *testing.T) {
			c, errs := applyTo(t, &networkingv1.TrafficPolicy{OutlierDetection: tt.od}, testOptions())
			wantErrors(t, errs, tt.wantErrs...)
			protoEqual(t, "outlier_detection", c.OutlierDetection, tt.want)
			protoEqual(t, "common_lb_config", c.CommonLbConfig, &clusterv3.Cluster_CommonLbConfig{
				HealthyPanicThreshold: &typev3.Percent{Value: tt.wantPanic},
			})
		})
	}
	t.Run("no outlier detection leaves Envoy's panic threshold", func(t *testing.T) {
		c := applyOK(t, nil, testOptions())
		if c.OutlierDetection != nil || c.CommonLbConfig != nil {
			t.Errorf("got %v %v", c.OutlierDetection, c.CommonLbConfig)
		}
	})
}
