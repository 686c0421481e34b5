{{- define "tts.name" -}}{{ .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}

{{- define "tts.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "tts.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ include "tts.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one tier: (dict "root" $ "tier" "silo") */}}
{{- define "tts.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tts.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .tier }}
{{- end -}}

{{/* The tiers deployed: the silo tier, plus the frontend tier unless co-hosted. */}}
{{- define "tts.tiers" -}}
{{- if .Values.coHosted }}["silo"]{{ else }}["silo","frontend"]{{ end -}}
{{- end -}}

{{/* The tier that receives public traffic. */}}
{{- define "tts.publicTier" -}}{{ ternary "silo" "frontend" .Values.coHosted }}{{- end -}}

{{- define "tts.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}{{ default (include "tts.fullname" .) .Values.serviceAccount.name }}{{ else }}{{ default "default" .Values.serviceAccount.name }}{{ end -}}
{{- end -}}

{{- define "tts.image" -}}{{ printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}{{- end -}}

{{/* Longer than the drain: preStop sleep + drain + margin. After SIGTERM the host drains for up to
     TTS_DRAIN_SECONDS and stops within drain + 10 s, so the margin must be at least 10 s. */}}
{{- define "tts.gracePeriod" -}}
{{- if lt (int .Values.shutdown.extraGraceSeconds) 16 }}
{{- fail (printf "shutdown.extraGraceSeconds is %v: it must be at least 16, since after SIGTERM the silo drains for up to shutdown.drainSeconds, then needs up to 10 s to stop, and exits by itself 5 s after that." .Values.shutdown.extraGraceSeconds) }}
{{- end -}}
{{- add .Values.shutdown.preStopSleepSeconds .Values.shutdown.drainSeconds .Values.shutdown.extraGraceSeconds -}}
{{- end -}}

{{/* The Secret holding the API key hash lines: auth.existingSecret, else the chart's own when auth.keys is set. */}}
{{- define "tts.authSecret" -}}
{{- if .Values.auth.existingSecret }}{{ .Values.auth.existingSecret }}{{ else if .Values.auth.keys }}{{ include "tts.fullname" . }}-api-keys{{ end -}}
{{- end -}}

{{/* "true" when the chart runs its own Redis: bundled.enabled and no existingSecret. */}}
{{- define "tts.bundledRedis" -}}
{{- if and .Values.redis.bundled.enabled (not .Values.redis.existingSecret) }}true{{ end -}}
{{- end -}}

{{/* The Secret holding TTS_REDIS (existingSecret first, else the bundled one), or nothing. Without Redis a silo runs
     alone (localhost clustering, grain state in memory): allowed only for one co-hosted silo without autoscaling,
     since frontends and further silos find the cluster in Redis' membership table. */}}
{{- define "tts.redisSecret" -}}
{{- if .Values.redis.existingSecret }}{{ .Values.redis.existingSecret }}
{{- else if include "tts.bundledRedis" . }}{{ include "tts.fullname" . }}-redis
{{- else if not (and .Values.coHosted (not .Values.autoscaling.enabled) (not .Values.autoscaling.keda.enabled) (eq (int .Values.silo.replicas) 1)) }}
{{- fail "Silos form a cluster and frontends find them through Orleans' membership table in Redis: set redis.existingSecret (or redis.bundled.enabled=true for a trial); only one co-hosted silo without autoscaling (coHosted=true, autoscaling.enabled=false, silo.replicas=1) runs without Redis." }}
{{- end -}}
{{- end -}}

{{/* "true" when the chart runs the bundled cache Redis (no persistence, allkeys-lru) beside the bundled state Redis. */}}
{{- define "tts.bundledRedisCache" -}}
{{- if and (include "tts.bundledRedis" .) .Values.redis.bundled.cache.enabled }}true{{ end -}}
{{- end -}}

{{/* "true" when the silos run Microsoft.Orleans.Hosting.Kubernetes: asked for, and there is a Redis cluster to supplement. */}}
{{- define "tts.kubernetesHosting" -}}
{{- if and .Values.orleans.kubernetesHosting.enabled (include "tts.redisSecret" .) }}true{{ end -}}
{{- end -}}

{{/* Labels Orleans' Kubernetes hosting convention puts on silo pods (Microsoft.Orleans.Hosting.Kubernetes). */}}
{{- define "tts.orleansLabels" -}}
orleans/serviceId: {{ .Values.orleans.serviceId | quote }}
orleans/clusterId: {{ .Values.orleans.clusterId | quote }}
{{- end -}}
