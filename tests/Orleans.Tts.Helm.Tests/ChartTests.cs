using System.Text.Json.Nodes;

namespace Orleans.Tts.Helm.Tests;

public sealed class ChartTests
{
    private static readonly string[] Keda = ["--set", "autoscaling.keda.enabled=true", "--set", "postgresql.existingSecret=pg"];
    private static readonly string[] Everything =
    [
        "--set", "postgresql.bundled.enabled=true", "--set", "ingress.enabled=true", "--set", "ingress.tls.enabled=true",
        "--set", "ingress.certManagerClusterIssuer=letsencrypt", "--set", "monitoring.serviceMonitor.enabled=true",
        "--set", "monitoring.prometheusRule.enabled=true", "--set", "monitoring.grafanaDashboard.enabled=true",
        "--set-json", """autoscaling.schedules=[{"name":"am","start":"0 7 * * 1-5","end":"0 10 * * 1-5","siloReplicas":6}]""",
    ];

    public static TheoryData<string, string[]> ValueSets => new()
    {
        { "defaults", [] },
        { "hpa off", ["--set", "autoscaling.enabled=false"] },
        { "ingress with tls", ["--set", "ingress.enabled=true", "--set", "ingress.tls.enabled=true"] },
        { "keda", Keda },
        { "keda with schedules and monitoring", [.. Keda, "--set", "monitoring.serviceMonitor.enabled=true", "--set", "monitoring.prometheusRule.enabled=true",
            "--set-json", """autoscaling.schedules=[{"name":"am","start":"0 7 * * *","end":"0 9 * * *","siloReplicas":6}]"""] },
        { "external postgresql with models from a claim", ["--set", "postgresql.existingSecret=pg", "--set", "models.existingClaim=tts-models"] },
        { "co-hosted", ["--set", "coHosted=true"] },
        { "everything", Everything },
        { "models from an image", ["--set", "models.image=example/models:1"] },
    };

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void The_chart_lints_and_renders_only_well_formed_manifests(string name, string[] sets)
    {
        Helm.Lint(sets);
        var manifests = Helm.Template(sets);
        Assert.NotEmpty(manifests.All);
        foreach (var m in manifests.All)
        {
            Assert.False(string.IsNullOrEmpty((string?)m["apiVersion"]), name);
            Assert.False(string.IsNullOrEmpty((string?)m["metadata"]?["name"]), name);
            Assert.True(((string)m["metadata"]!["name"]!).Length <= 63, $"{name}: name too long");
        }
        foreach (var d in manifests.OfKind("Deployment")) AssertPodIsHardened(d["spec"]!["template"]!["spec"]!.AsObject());
        foreach (var cm in manifests.OfKind("ConfigMap").Where(c => c["metadata"]!["name"]!.ToString() != "t-orleans-tts-dashboard"))
            Assert.DoesNotContain("password", cm.ToJsonString(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Every_rendered_manifest_passes_strict_offline_validation_against_the_kubernetes_schemas(string name, string[] sets)
    {
        var manifests = Helm.Template(sets);
        var (valid, report) = Helm.Validate(manifests.All);
        Assert.True(valid, $"{name}:\n{report}");
        Assert.Contains($"{manifests.All.Count} manifests valid", report);
    }

    [Fact]
    public void The_validated_value_sets_cover_every_kind_the_chart_renders()
    {
        var kinds = ValueSets.SelectMany(v => Helm.Template((string[])v[1]).All).Select(m => (string)m["kind"]!).ToHashSet();
        // Every kind a template can produce (its "kind:" lines), so that a new template needs a value set that renders it.
        var templated = Directory.EnumerateFiles(Path.Combine(Helm.Chart, "templates"), "*.yaml")
            .SelectMany(File.ReadAllLines).Where(l => l.StartsWith("kind: ", StringComparison.Ordinal)).Select(l => l["kind: ".Length..].Trim())
            .ToHashSet();
        Assert.Contains("StatefulSet", templated);
        Assert.Equal(templated.Order(), kinds.Order());
    }

    [Fact]
    public void The_validator_rejects_a_misspelt_field_a_string_for_an_integer_a_missing_required_field_and_a_beta_api()
    {
        var manifests = Helm.Template("--set", "autoscaling.enabled=false");
        var deployment = manifests.Get("Deployment", "t-orleans-tts-silo");
        deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["imagePullPolcy"] = "Always";
        deployment["spec"]!["replicas"] = "3";
        manifests.Get("Service", "t-orleans-tts")["spec"]!["ports"]![0]!.AsObject().Remove("port");
        manifests.Get("PodDisruptionBudget", "t-orleans-tts-silo")["apiVersion"] = "policy/v1beta1";

        var (valid, report) = Helm.Validate(manifests.All);

        Assert.False(valid);
        Assert.Contains("Deployment t-orleans-tts-silo: /spec/template/spec/containers/0/imagePullPolcy is not a field of apps/v1 Deployment", report);
        Assert.Contains("Deployment t-orleans-tts-silo: /spec/replicas must be integer", report);
        Assert.Contains("Service t-orleans-tts: /spec/ports/0 is missing the required field 'port'", report);
        Assert.Contains("PodDisruptionBudget t-orleans-tts-silo: policy/v1beta1 is not a GA API", report);
        Assert.Equal(4, report.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void The_validator_checks_keda_and_prometheus_operator_objects_against_their_crd_schemas()
    {
        var manifests = Helm.Template([.. Keda, "--set", "monitoring.serviceMonitor.enabled=true", "--set", "monitoring.prometheusRule.enabled=true"]);
        manifests.Get("ScaledObject", "t-orleans-tts-silo")["spec"]!["maxReplicaCount"] = "twenty";
        manifests.Get("ServiceMonitor", "t-orleans-tts-silo")["spec"]!["endpoints"]![0]!["intervall"] = "15s";
        manifests.Get("PrometheusRule", "t-orleans-tts")["spec"]!["groups"]![0]!.AsObject().Remove("name");

        var (valid, report) = Helm.Validate(manifests.All);

        Assert.False(valid);
        Assert.Contains("ScaledObject t-orleans-tts-silo: /spec/maxReplicaCount must be integer", report);
        Assert.Contains("ServiceMonitor t-orleans-tts-silo: /spec/endpoints/0/intervall is not a field of monitoring.coreos.com/v1 ServiceMonitor", report);
        Assert.Contains("PrometheusRule t-orleans-tts: /spec/groups/0 is missing the required field 'name'", report);
    }

    [Fact]
    public void The_validator_refuses_a_kind_it_has_no_schema_for()
    {
        var (valid, report) = Helm.Validate([new JsonObject { ["apiVersion"] = "example.com/v1", ["kind"] = "Widget", ["metadata"] = new JsonObject { ["name"] = "w" } }]);
        Assert.False(valid);
        Assert.Contains("Widget w: no schema for example.com/v1 Widget", report);
    }

    private static JsonArray Env(Manifests manifests, string deployment) =>
        manifests.Get("Deployment", deployment)["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray();

    private static string? Value(JsonArray env, string name) => (string?)env.SingleOrDefault(e => (string?)e!["name"] == name)?["value"];

    [Fact]
    public void Silos_advertise_their_pod_ip_on_the_internal_http2_port_and_frontends_find_them_in_postgresql()
    {
        var manifests = Helm.Template("--set", "postgresql.existingSecret=pg", "--set", "models.existingClaim=tts-models");
        var silo = Env(manifests, "t-orleans-tts-silo");
        var container = manifests.Get("Deployment", "t-orleans-tts-silo")["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("silo", Value(silo, "TTS_ROLE"));
        var internalPort = (int)container["ports"]!.AsArray().Single(p => (string?)p!["name"] == "internal")!["containerPort"]!;
        Assert.Equal(internalPort.ToString(), Value(silo, "TTS_INTERNAL_PORT"));
        Assert.Equal($"http://$(POD_IP):{internalPort}", Value(silo, "TTS_INTERNAL_ADVERTISE_URL"));
        // $(POD_IP) expands only when POD_IP is defined earlier in the list, from the downward API.
        var podIp = silo.Select((e, i) => (e, i)).Single(x => (string?)x.e!["name"] == "POD_IP");
        Assert.Equal("status.podIP", (string?)podIp.e!["valueFrom"]!["fieldRef"]!["fieldPath"]);
        Assert.True(podIp.i < silo.Select((e, i) => (e, i)).Single(x => (string?)x.e!["name"] == "TTS_INTERNAL_ADVERTISE_URL").i);

        var frontend = Env(manifests, "t-orleans-tts-frontend");
        Assert.Equal("frontend", Value(frontend, "TTS_ROLE"));
        Assert.Null(Value(frontend, "TTS_INTERNAL_PORT"));
        foreach (var env in new[] { silo, frontend })
            Assert.Equal("pg", (string?)env.Single(e => (string?)e!["name"] == "TTS_POSTGRES")!["valueFrom"]!["secretKeyRef"]!["name"]);

        var config = manifests.Get("ConfigMap", "t-orleans-tts")["data"]!;
        Assert.Equal("0.0.0.0", (string?)config["TTS_HOST"]);
        Assert.Equal(((int)container["ports"]![0]!["containerPort"]!).ToString(), (string?)config["TTS_PORT"]);
        var modelsMount = container["volumeMounts"]!.AsArray().Single(v => (string?)v!["name"] == "models")!;
        Assert.Equal((string?)modelsMount["mountPath"], (string?)config["TTS_MODELS_DIR"]);
        Assert.DoesNotContain("TTS_POSTGRES", config.AsObject().Select(kv => kv.Key));
    }

    [Fact]
    public void Co_hosted_pods_run_the_silo_role_which_serves_the_api_itself()
    {
        var silo = Env(Helm.Template("--set", "coHosted=true"), "t-orleans-tts-silo");
        Assert.Equal("silo", Value(silo, "TTS_ROLE"));
        Assert.Null(Value(silo, "TTS_INTERNAL_PORT"));
    }

    [Fact]
    public void Separate_tiers_without_postgresql_refuse_to_render_and_say_what_to_set()
    {
        var (code, output) = Helm.Run(Helm.Binary, "", "template", "t", Helm.Chart, "--set", "postgresql.bundled.enabled=false");
        Assert.NotEqual(0, code);
        Assert.Contains("The frontend tier finds the silos in PostgreSQL: set postgresql.existingSecret", output);
        Helm.Template("--set", "postgresql.bundled.enabled=false", "--set", "coHosted=true");
    }

    [Fact]
    public void Every_tts_setting_the_chart_sets_is_one_the_application_reads()
    {
        var source = string.Join("\n", new[] { "Silo", "Grains", "Frontend", "GrainInterfaces" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(Helm.Root, d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Select(File.ReadAllText));
        var names = new HashSet<string>();
        foreach (var sets in ValueSets.Select(v => (string[])v[1]))
        {
            var manifests = Helm.Template([.. sets, "--set-json", """config.extraEnv={}"""]);
            foreach (var d in manifests.OfKind("Deployment"))
                foreach (var e in d["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray()) names.Add((string)e!["name"]!);
            foreach (var kv in manifests.Get("ConfigMap", "t-orleans-tts")["data"]!.AsObject()) names.Add(kv.Key);
        }
        var settings = names.Where(n => n.StartsWith("TTS_", StringComparison.Ordinal)).ToList();
        Assert.Contains("TTS_INTERNAL_ADVERTISE_URL", settings);
        Assert.All(settings, n => Assert.Contains($"\"{n}\"", source));
    }

    private static void AssertPodIsHardened(JsonObject pod)
    {
        Assert.False((bool)pod["automountServiceAccountToken"]!);
        Assert.True((bool)pod["securityContext"]!["runAsNonRoot"]!);
        Assert.Equal("RuntimeDefault", (string?)pod["securityContext"]!["seccompProfile"]!["type"]);
        foreach (var c in pod["containers"]!.AsArray().Concat(pod["initContainers"]?.AsArray() ?? []))
        {
            var sc = c!["securityContext"]!;
            Assert.True((bool)sc["readOnlyRootFilesystem"]!);
            Assert.False((bool)sc["allowPrivilegeEscalation"]!);
            Assert.Equal("ALL", (string?)sc["capabilities"]!["drop"]![0]);
        }
        Assert.Contains(pod["volumes"]!.AsArray(), v => (string?)v!["name"] == "tmp" && v["emptyDir"] is not null);
    }

    [Fact]
    public void Probes_use_health_for_liveness_and_ready_for_readiness_on_port_8080()
    {
        var container = Helm.Template().Get("Deployment", "t-orleans-tts-silo")["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("/health", (string?)container["livenessProbe"]!["httpGet"]!["path"]);
        Assert.Equal("/ready", (string?)container["readinessProbe"]!["httpGet"]!["path"]);
        Assert.NotNull(container["startupProbe"]);
        Assert.Equal(8080, (int)container["ports"]![0]!["containerPort"]!);
    }

    [Fact]
    public void The_grace_period_outlasts_the_prestop_sleep_and_the_drain_timeout()
    {
        var manifests = Helm.Template("--set", "shutdown.drainSeconds=45");
        var pod = manifests.Get("Deployment", "t-orleans-tts-silo")["spec"]!["template"]!["spec"]!;
        Assert.Equal("45", (string?)manifests.Get("ConfigMap", "t-orleans-tts")["data"]!["TTS_DRAIN_SECONDS"]);
        // Kubernetes counts the preStop sleep (5 s) into the grace period; after SIGTERM the host drains for up to
        // TTS_DRAIN_SECONDS and stops within drain + 10 s (HostOptions.ShutdownTimeout), all before SIGKILL.
        Assert.True((int)pod["terminationGracePeriodSeconds"]! - 5 > 45 + 10);
        Assert.NotNull(pod["containers"]![0]!["lifecycle"]!["preStop"]);
    }

    [Fact]
    public void A_grace_margin_too_short_for_the_hosts_shutdown_refuses_to_render()
    {
        var (code, output) = Helm.Run(Helm.Binary, "", "template", "t", Helm.Chart, "--set", "shutdown.extraGraceSeconds=5");
        Assert.NotEqual(0, code);
        Assert.Contains("shutdown.extraGraceSeconds is 5: it must be at least 10", output);
    }

    [Fact]
    public void Each_tier_has_an_hpa_on_cpu_memory_requests_per_second_and_queue_length_with_behaviour()
    {
        var manifests = Helm.Template("--set", "autoscaling.behavior.scaleDown.stabilizationWindowSeconds=600");
        Assert.Equal(2, manifests.OfKind("HorizontalPodAutoscaler").Count());
        var hpa = manifests.Get("HorizontalPodAutoscaler", "t-orleans-tts-silo");
        Assert.Equal("autoscaling/v2", (string?)hpa["apiVersion"]);
        var metrics = hpa["spec"]!["metrics"]!.AsArray();
        Assert.Contains(metrics, m => (string?)m!["resource"]?["name"] == "cpu" && (int)m["resource"]!["target"]!["averageUtilization"]! == 70);
        Assert.Contains(metrics, m => (string?)m!["resource"]?["name"] == "memory" && (int)m["resource"]!["target"]!["averageUtilization"]! == 80);
        Assert.Contains(metrics, m => (string?)m!["type"] == "Pods" && (string?)m["pods"]!["metric"]!["name"] == "requests_per_second");
        Assert.Contains(metrics, m => (string?)m!["type"] == "Object" && (string?)m["object"]!["metric"]!["name"] == "queue_length"
            && (string?)m["object"]!["describedObject"]!["name"] == "t-orleans-tts-silo");
        Assert.Equal(600, (int)hpa["spec"]!["behavior"]!["scaleDown"]!["stabilizationWindowSeconds"]!);
        Assert.NotEmpty(hpa["spec"]!["behavior"]!["scaleUp"]!["policies"]!.AsArray());
        Assert.Null(manifests.Get("Deployment", "t-orleans-tts-silo")["spec"]!["replicas"]);
        var rules = (string)manifests.Get("ConfigMap", "t-orleans-tts-prometheus-adapter-rules")["data"]!["config.yaml"]!;
        Assert.Contains("requests_per_second", rules);
        Assert.Contains("queue_length", rules);
    }

    [Fact]
    public void With_the_hpa_off_set_silo_replicas_sizes_the_silo_tier()
    {
        var manifests = Helm.Template("--set", "autoscaling.enabled=false", "--set", "silo.replicas=7");
        Assert.Empty(manifests.OfKind("HorizontalPodAutoscaler"));
        Assert.Equal(7, (int)manifests.Get("Deployment", "t-orleans-tts-silo")["spec"]!["replicas"]!);
        Assert.Equal(2, (int)manifests.Get("Deployment", "t-orleans-tts-frontend")["spec"]!["replicas"]!);
    }

    [Fact]
    public void Keda_replaces_the_hpas_with_scaled_objects_on_the_job_backlog()
    {
        var manifests = Helm.Template([.. Keda, "--set-json", """autoscaling.schedules=[{"name":"am","start":"0 7 * * *","end":"0 9 * * *","siloReplicas":6}]"""]);
        Assert.Empty(manifests.OfKind("HorizontalPodAutoscaler"));
        var triggers = manifests.Get("ScaledObject", "t-orleans-tts-silo")["spec"]!["triggers"]!.AsArray();
        Assert.Contains(triggers, t => (string?)t!["type"] == "postgresql" && (string?)t["metadata"]!["connectionFromEnv"] == "TTS_POSTGRES");
        Assert.Contains(triggers, t => (string?)t!["type"] == "cron" && (string?)t["metadata"]!["desiredReplicas"] == "6");
    }

    [Fact]
    public void Co_hosting_deploys_one_tier_that_serves_the_public_service()
    {
        var manifests = Helm.Template("--set", "coHosted=true");
        Assert.Equal("t-orleans-tts-silo", Assert.Single(manifests.OfKind("Deployment"))["metadata"]!["name"]!.ToString());
        Assert.Equal("silo", (string?)manifests.Get("Service", "t-orleans-tts")["spec"]!["selector"]!["app.kubernetes.io/component"]);
    }

    [Fact]
    public void Network_policies_let_only_the_frontend_reach_silos_and_only_cluster_members_reach_postgresql()
    {
        var manifests = Helm.Template("--set", "postgresql.bundled.enabled=true");
        var silo = manifests.Get("NetworkPolicy", "t-orleans-tts-silo")["spec"]!;
        var fromFrontend = silo["ingress"]![0]!["from"]![0]!["podSelector"]!["matchLabels"]!;
        Assert.Equal("frontend", (string?)fromFrontend["app.kubernetes.io/component"]);
        Assert.Equal(8081, (int)silo["ingress"]![0]!["ports"]![0]!["port"]!); // the silos' internal HTTP/2 port
        Assert.Equal(2, silo["ingress"]!.AsArray().Count); // frontend, and Prometheus for /metrics
        Assert.NotNull(silo["ingress"]![1]!["from"]![0]!["namespaceSelector"]);
        var pg = manifests.Get("NetworkPolicy", "t-orleans-tts-postgresql")["spec"]!;
        Assert.Equal("true", (string?)pg["ingress"]![0]!["from"]![0]!["podSelector"]!["matchLabels"]!["orleans-tts/postgres-client"]);
        Assert.Equal(5432, (int)pg["ingress"]![0]!["ports"]![0]!["port"]!);
        var env = manifests.Get("Deployment", "t-orleans-tts-silo")["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray();
        Assert.Equal("t-orleans-tts-postgresql", (string?)env.Single(e => (string?)e!["name"] == "TTS_POSTGRES")!["valueFrom"]!["secretKeyRef"]!["name"]);
    }

    [Fact]
    public void Ingress_uses_the_class_host_tls_secret_and_cert_manager_issuer()
    {
        var ingress = Helm.Template("--set", "ingress.enabled=true", "--set", "ingress.tls.enabled=true", "--set", "ingress.host=tts.test",
            "--set", "ingress.certManagerClusterIssuer=letsencrypt").Get("Ingress", "t-orleans-tts");
        Assert.Equal("nginx", (string?)ingress["spec"]!["ingressClassName"]);
        Assert.Equal("tts.test", (string?)ingress["spec"]!["rules"]![0]!["host"]);
        Assert.Equal("orleans-tts-tls", (string?)ingress["spec"]!["tls"]![0]!["secretName"]);
        Assert.Equal("letsencrypt", (string?)ingress["metadata"]!["annotations"]!["cert-manager.io/cluster-issuer"]);
    }

    [Fact]
    public void Pods_spread_over_zones_and_hosts_and_may_be_evicted_by_the_cluster_autoscaler_within_a_disruption_budget()
    {
        var manifests = Helm.Template();
        var template = manifests.Get("Deployment", "t-orleans-tts-silo")["spec"]!["template"]!;
        var keys = template["spec"]!["topologySpreadConstraints"]!.AsArray().Select(c => (string?)c!["topologyKey"]).ToList();
        Assert.Equal(["topology.kubernetes.io/zone", "kubernetes.io/hostname"], keys);
        Assert.Equal("true", (string?)template["metadata"]!["annotations"]!["cluster-autoscaler.kubernetes.io/safe-to-evict"]);
        Assert.Equal(1, (int)manifests.Get("PodDisruptionBudget", "t-orleans-tts-silo")["spec"]!["maxUnavailable"]!);
    }

    [Fact]
    public void The_prometheus_rule_carries_the_seed_alerts_and_the_cluster_alerts()
    {
        var rule = Helm.Template("--set", "monitoring.prometheusRule.enabled=true").Get("PrometheusRule", "t-orleans-tts");
        var alerts = rule["spec"]!["groups"]![0]!["rules"]!.AsArray().ToDictionary(r => (string)r!["alert"]!, r => r!);
        Assert.Equal(["TtsAdmissionRejections", "TtsHigh5xxRate", "TtsHighCpu", "TtsHighLatencyP95", "TtsLiveSilosBelowMinimum", "TtsQueueSaturated"], alerts.Keys.Order());
        Assert.Equal("5m", (string?)alerts["TtsHighCpu"]["for"]);
        Assert.Contains("> 0.8", (string)alerts["TtsHighCpu"]["expr"]!);
        Assert.Equal("3m", (string?)alerts["TtsHighLatencyP95"]["for"]);
        Assert.Contains("> 2", (string)alerts["TtsHighLatencyP95"]["expr"]!);
        Assert.Equal("2m", (string?)alerts["TtsHigh5xxRate"]["for"]);
        Assert.Contains("> 0.05", (string)alerts["TtsHigh5xxRate"]["expr"]!);
    }
}
