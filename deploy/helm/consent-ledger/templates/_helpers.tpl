{{/* Names and labels shared by every template. */}}
{{- define "cl.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "cl.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* cl.component: "<fullname>-<service>"; call with (dict "root" $ "name" "ingest"). */}}
{{- define "cl.component" -}}
{{- printf "%s-%s" (include "cl.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "cl.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "cl.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: consent-ledger
{{- end -}}

{{/* Selector labels of one service; call with (dict "root" $ "name" "ingest"). */}}
{{- define "cl.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cl.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "cl.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "cl.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "cl.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* env entries for the secret variables a service lists, each from the Secret secretRefs names. */}}
{{- define "cl.secretEnv" -}}
{{- $root := .root -}}
{{- range .secrets }}
{{- $ref := index $root.Values.secretRefs . | default dict }}
{{- if or (not $ref.name) (not $ref.key) }}
{{- fail (printf "secretRefs.%s needs a name and a key (the existing Secret that holds %s)" . .) }}
{{- end }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.name }}
      key: {{ $ref.key }}
{{- end }}
{{- end -}}
