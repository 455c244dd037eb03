{{/*
Named templates shared by the manifests. The chart keeps to a small part of Helm's template
language (tests/deploy/helm.py renders it in CI, where helm is not installed).
*/}}

{{/* The chart's name, or nameOverride. */}}
{{- define "shipyard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release-qualified name, at most 63 characters (a DNS label). */}}
{{- define "shipyard.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The chart label: name and version. */}}
{{- define "shipyard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that select the server's pods (the migration Job's pods carry another component). */}}
{{- define "shipyard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "shipyard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{/* Labels of the server's resources. */}}
{{- define "shipyard.labels" -}}
helm.sh/chart: {{ include "shipyard.chart" . }}
{{ include "shipyard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels of the migration hook's resources: not selected by the Service or the PDB. */}}
{{- define "shipyard.migrationLabels" -}}
helm.sh/chart: {{ include "shipyard.chart" . }}
app.kubernetes.io/name: {{ include "shipyard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: migration
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The image reference: by digest when one is given, else by tag (default: appVersion). */}}
{{- define "shipyard.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%v" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The ServiceAccount of the server's pods. */}}
{{- define "shipyard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "shipyard.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret the server reads its secret settings from: the user's or the chart's. */}}
{{- define "shipyard.secretName" -}}
{{- if .Values.existingSecret }}
{{- .Values.existingSecret }}
{{- else }}
{{- include "shipyard.fullname" . }}
{{- end }}
{{- end }}

{{/*
The non-secret settings, as ConfigMap data. The Deployment hashes this text, so a change
rolls the pods. The data dir and the spool live on the pod's scratch volume.
*/}}
{{- define "shipyard.configData" -}}
SHIPYARD_ENV: {{ .Values.config.env | quote }}
SHIPYARD_DATA_DIR: "/data"
SHIPYARD_LOG_WRITER__SPOOL_DIR: "/data/spool"
SHIPYARD_SERVING__MODELS: {{ toJson .Values.config.models | quote }}
{{- with .Values.config.defaultModel }}
SHIPYARD_SERVING__DEFAULT_MODEL: {{ . | quote }}
{{- end }}
MLFLOW_TRACKING_URI: {{ required "config.mlflowTrackingUri is required: the MLflow tracking server that holds the model registry" .Values.config.mlflowTrackingUri | quote }}
SHIPYARD_RATE_LIMIT__STORAGE_URI: {{ .Values.config.rateLimitStorageUri | quote }}
SHIPYARD_RATE_LIMIT__PER_KEY: {{ .Values.config.rateLimitPerKey | quote }}
SHIPYARD_LOG_FORMAT: {{ .Values.config.logFormat | quote }}
SHIPYARD_LOG_LEVEL: {{ .Values.config.logLevel | quote }}
SHIPYARD_SERVER__WORKERS: {{ .Values.config.workers | quote }}
SHIPYARD_SERVER__DRAIN_SECONDS: {{ .Values.config.drainSeconds | quote }}
SHIPYARD_AUTH__PUBLIC_METRICS: {{ .Values.config.publicMetrics | quote }}
{{- range $name, $value := .Values.config.extra }}
{{ $name }}: {{ $value | quote }}
{{- end }}
{{- end }}

{{/* The secret settings, as Secret data. Only used when the chart makes the Secret. */}}
{{- define "shipyard.secretData" -}}
{{- $jwt := required "secrets.jwtSecret is required (or set existingSecret): at least 32 random characters" .Values.secrets.jwtSecret }}
{{- if lt (len $jwt) 32 }}
{{- fail "secrets.jwtSecret must be at least 32 characters: the server refuses a shorter one in the prod profile" }}
{{- end -}}
DATABASE_URL: {{ required "secrets.databaseUrl is required (or set existingSecret): the PostgreSQL URL of the prediction log" .Values.secrets.databaseUrl | b64enc | quote }}
SHIPYARD_AUTH__JWT_SECRET: {{ $jwt | b64enc | quote }}
SHIPYARD_ALERTS__URLS: {{ join "," .Values.secrets.alertUrls | b64enc | quote }}
{{- end }}

{{/*
Environment entries that read the secret settings from a Secret.
Argument: a dict with "root" (the chart's context) and "secretName".
*/}}
{{- define "shipyard.secretEnv" -}}
{{- $keys := .root.Values.existingSecretKeys }}
{{- if not .root.Values.existingSecret }}
{{- $keys = dict "databaseUrl" "DATABASE_URL" "jwtSecret" "SHIPYARD_AUTH__JWT_SECRET" "alertUrls" "SHIPYARD_ALERTS__URLS" }}
{{- end -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ $keys.databaseUrl }}
- name: SHIPYARD_AUTH__JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ $keys.jwtSecret }}
- name: SHIPYARD_ALERTS__URLS
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ $keys.alertUrls }}
      optional: true
{{- end }}

{{/* An emptyDir, with the scratch size limit when one is set. */}}
{{- define "shipyard.emptyDir" -}}
{{- if .Values.scratch.sizeLimit -}}
emptyDir:
  sizeLimit: {{ .Values.scratch.sizeLimit | quote }}
{{- else -}}
emptyDir: {}
{{- end }}
{{- end }}

{{/* The writable volumes under a read-only root file system. */}}
{{- define "shipyard.volumes" -}}
- name: data
  {{- include "shipyard.emptyDir" . | nindent 2 }}
- name: tmp
  {{- include "shipyard.emptyDir" . | nindent 2 }}
{{- end }}

{{- define "shipyard.volumeMounts" -}}
- name: data
  mountPath: /data
- name: tmp
  mountPath: /tmp
{{- end }}
