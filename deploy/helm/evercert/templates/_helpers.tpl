{{/* The release's full name: the release name, or release-chart when it does not contain the chart's name. */}}
{{- define "evercert.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "evercert.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "evercert.labels" -}}
{{ include "evercert.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "evercert.serviceAccountName" -}}
{{- .Values.serviceAccount.name | default (include "evercert.fullname" .) -}}
{{- end -}}

{{/* The operator's image; the HTTP-01 solver Pods run the same one (`evercert solve`). */}}
{{- define "evercert.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* The metrics Service's name; a ServiceMonitor makes it the `job` label of the scraped series. */}}
{{- define "evercert.metricsService" -}}
{{- printf "%s-metrics" (include "evercert.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
