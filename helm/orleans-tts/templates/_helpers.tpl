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

{{/* Longer than the drain: preStop sleep + drain + margin. */}}
{{- define "tts.gracePeriod" -}}
{{- add .Values.shutdown.preStopSleepSeconds .Values.shutdown.drainSeconds .Values.shutdown.extraGraceSeconds -}}
{{- end -}}

{{/* The Secret and key holding the PostgreSQL connection string, or nothing (embedded, in-memory cluster state). */}}
{{- define "tts.postgresSecret" -}}
{{- if .Values.postgresql.bundled.enabled }}{{ include "tts.fullname" . }}-postgresql{{ else }}{{ .Values.postgresql.existingSecret }}{{ end -}}
{{- end -}}

{{/* The Secret holding the API key hash lines: auth.existingSecret, else the chart's own when auth.keys is set. */}}
{{- define "tts.authSecret" -}}
{{- if .Values.auth.existingSecret }}{{ .Values.auth.existingSecret }}{{ else if .Values.auth.keys }}{{ include "tts.fullname" . }}-api-keys{{ end -}}
{{- end -}}
