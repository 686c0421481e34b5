using System.Text.Json.Nodes;

namespace Orleans.Tts.Helm.Tests;

public sealed class ChartTests
{
    /// <summary>The separate frontend tier (co-hosted is the default).</summary>
    private static readonly string[] Frontends = ["--set", "coHosted=false"];
    private static readonly string[] Keda = ["--set", "autoscaling.keda.enabled=true", .. Frontends];
    private static readonly string[] Everything =
    [
        .. Frontends,
        "--set", "orleans.kubernetesHosting.deleteDefunctPods=true", "--set", "ingress.enabled=true", "--set", "ingress.tls.enabled=true",
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
        { "existing redis with models from a claim", ["--set", "redis.existingSecret=redis", "--set", "models.existingClaim=tts-models"] },
        { "kubernetes hosting, dashboard and the bundled cache redis off", ["--set", "orleans.kubernetesHosting.enabled=false", "--set", "dashboard.enabled=false",
            "--set", "redis.bundled.cache.enabled=false", "--set", "redis.bundled.appendfsync=always"] },
        { "keda without a prometheus server", [.. Keda, "--set", "autoscaling.keda.prometheusServerAddress="] },
        { "separate frontend tier", Frontends },
        { "everything", Everything },
        { "models from an image", ["--set", "models.image=example/models:1"] },
        { "existing redis, gateway clients and kubernetes hosting deleting defunct pods", [.. Frontends, "--set", "redis.existingSecret=redis",
            "--set", "orleans.kubernetesHosting.deleteDefunctPods=true",
            "--set-json", """networkPolicy.gatewayFrom=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"billing"}}}]"""] },
        { "one co-hosted silo without redis", ["--set", "coHosted=true", "--set", "autoscaling.enabled=false", "--set", "silo.replicas=1",
            "--set", "redis.bundled.enabled=false"] },
    };

    /// <summary>Whether these manifests give the silos Orleans' Kubernetes hosting, and so the ServiceAccount token.</summary>
    private static bool KubernetesHosting(Manifests manifests) =>
        manifests.OfKind("Role").Any(r => ((string)r["metadata"]!["name"]!).EndsWith("-orleans-hosting", StringComparison.Ordinal));

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
        foreach (var d in manifests.OfKind("Deployment").Concat(manifests.OfKind("StatefulSet")))
            AssertPodIsHardened(d["spec"]!["template"]!["spec"]!.AsObject(),
                tokenAllowed: KubernetesHosting(manifests) && (string?)d["metadata"]!["name"] == "t-orleans-tts-silo");
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

    private static JsonObject PodSpec(Manifests manifests, string kind, string name) =>
        manifests.Get(kind, name)["spec"]!["template"]!["spec"]!.AsObject();

    private static int Port(JsonNode container, string name) =>
        (int)container["ports"]!.AsArray().Single(p => (string?)p!["name"] == name)!["containerPort"]!;

    private static string? SecretOf(JsonArray env, string name) =>
        (string?)env.SingleOrDefault(e => (string?)e!["name"] == name)?["valueFrom"]?["secretKeyRef"]?["name"];

    [Fact]
    public void Silos_advertise_their_pod_ip_with_the_orleans_ports_and_both_tiers_find_the_cluster_in_redis()
    {
        var manifests = Helm.Template([.. Frontends, "--set", "models.existingClaim=tts-models",
            "--set", "redis.existingSecret=redis", "--set", "orleans.siloPort=12000", "--set", "orleans.gatewayPort=31000",
            "--set", "orleans.serviceId=svc", "--set", "orleans.clusterId=blue"]);
        var silo = Env(manifests, "t-orleans-tts-silo");
        var container = manifests.Get("Deployment", "t-orleans-tts-silo")["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("silo", Value(silo, "TTS_ROLE"));
        Assert.Equal(12000, Port(container, "silo"));
        Assert.Equal(31000, Port(container, "gateway"));
        Assert.Equal("12000", Value(silo, "TTS_SILO_PORT"));
        Assert.Equal("31000", Value(silo, "TTS_GATEWAY_PORT"));
        // The silo advertises POD_IP (the downward API) in the membership table; POD_NAME/POD_NAMESPACE for Kubernetes hosting.
        foreach (var (name, field) in new[] { ("POD_IP", "status.podIP"), ("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace") })
            Assert.Equal(field, (string?)silo.Single(e => (string?)e!["name"] == name)!["valueFrom"]!["fieldRef"]!["fieldPath"]);
        Assert.Equal("redis", SecretOf(silo, "TTS_REDIS"));
        Assert.Equal("connection-string", (string?)silo.Single(e => (string?)e!["name"] == "TTS_REDIS")!["valueFrom"]!["secretKeyRef"]!["key"]);
        var labels = manifests.Get("Deployment", "t-orleans-tts-silo")["spec"]!["template"]!["metadata"]!["labels"]!;
        Assert.Equal("svc", (string?)labels["orleans/serviceId"]);
        Assert.Equal("blue", (string?)labels["orleans/clusterId"]);

        var frontend = Env(manifests, "t-orleans-tts-frontend");
        Assert.Equal("frontend", Value(frontend, "TTS_ROLE"));
        Assert.Equal("redis", SecretOf(frontend, "TTS_REDIS"));
        foreach (var env in new[] { silo, frontend })
        {
            Assert.Equal("svc", Value(env, "ORLEANS_SERVICE_ID"));
            Assert.Equal("blue", Value(env, "ORLEANS_CLUSTER_ID"));
            Assert.Null(SecretOf(env, "TTS_POSTGRES"));
            // The cache Redis is optional in an existing Secret: without that key the cache shares TTS_REDIS.
            var cache = env.Single(e => (string?)e!["name"] == "TTS_REDIS_CACHE")!["valueFrom"]!["secretKeyRef"]!;
            Assert.Equal("redis", (string?)cache["name"]);
            Assert.Equal("cache-connection-string", (string?)cache["key"]);
            Assert.True((bool)cache["optional"]!);
        }
        // A frontend is only a client: no silo ports to listen on or advertise.
        Assert.Null(Value(frontend, "TTS_GATEWAY_PORT"));
        Assert.Single(manifests.Get("Deployment", "t-orleans-tts-frontend")["spec"]!["template"]!["spec"]!["containers"]![0]!["ports"]!.AsArray());

        var config = manifests.Get("ConfigMap", "t-orleans-tts")["data"]!;
        Assert.Equal("0.0.0.0", (string?)config["TTS_HOST"]);
        Assert.Equal(((int)container["ports"]![0]!["containerPort"]!).ToString(), (string?)config["TTS_PORT"]);
        var modelsMount = container["volumeMounts"]!.AsArray().Single(v => (string?)v!["name"] == "models")!;
        Assert.Equal((string?)modelsMount["mountPath"], (string?)config["TTS_MODELS_DIR"]);
        Assert.Equal("2000", (string?)config["TTS_PROBE_TIMEOUT_MS"]);
        Assert.Equal("2", (string?)config["TTS_MISSED_PROBES"]);
        Assert.DoesNotContain("TTS_POSTGRES", config.AsObject().Select(kv => kv.Key));
        Assert.DoesNotContain("TTS_REDIS", config.AsObject().Select(kv => kv.Key));
    }

    [Fact]
    public void Co_hosted_pods_run_the_silo_role_which_serves_the_api_itself()
    {
        var manifests = Helm.Template("--set", "coHosted=true");
        var silo = Env(manifests, "t-orleans-tts-silo");
        Assert.Equal("silo", Value(silo, "TTS_ROLE"));
        // Several co-hosted silos still form one cluster through Redis, and other services may use the gateway.
        Assert.Equal("t-orleans-tts-redis", SecretOf(silo, "TTS_REDIS"));
        Assert.Equal(30000, Port(PodSpec(manifests, "Deployment", "t-orleans-tts-silo")["containers"]![0]!, "gateway"));
    }

    [Fact]
    public void No_postgresql_remains_in_the_chart_or_in_anything_it_renders()
    {
        foreach (var file in Directory.EnumerateFiles(Helm.Chart, "*", SearchOption.AllDirectories))
            Assert.DoesNotContain("postgres", File.ReadAllText(file), StringComparison.OrdinalIgnoreCase);
        foreach (var sets in ValueSets.Select(v => (string[])v[1]))
            foreach (var m in Helm.Template(sets).All)
                Assert.DoesNotContain("postgres", m.ToJsonString(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("--set", "coHosted=false")]
    [InlineData("--set", "autoscaling.enabled=true")]
    [InlineData("--set", "silo.replicas=2")]
    public void Without_redis_only_one_co_hosted_silo_renders_since_the_membership_table_lives_in_redis(string flag, string set)
    {
        string[] alone = ["--set", "redis.bundled.enabled=false", "--set", "coHosted=true", "--set", "autoscaling.enabled=false", "--set", "silo.replicas=1"];
        var silo = Env(Helm.Template(alone), "t-orleans-tts-silo");
        Assert.Null(SecretOf(silo, "TTS_REDIS"));
        var (code, output) = Helm.Run(Helm.Binary, "", ["template", "t", Helm.Chart, .. alone, flag, set]);
        Assert.NotEqual(0, code);
        Assert.Contains("membership table in Redis: set redis.existingSecret", output);
    }

    [Fact]
    public void The_bundled_cache_redis_is_bounded_evicts_least_recently_used_keys_keeps_nothing_on_disk_and_reaches_both_tiers_as_tts_redis_cache()
    {
        var manifests = Helm.Template([.. Frontends, "--set", "redis.bundled.cache.maxmemory=300mb"]);
        var deployment = manifests.Get("Deployment", "t-orleans-tts-redis-cache");
        var pod = deployment["spec"]!["template"]!["spec"]!;
        var args = string.Join(' ', pod["containers"]![0]!["args"]!.AsArray().Select(a => (string?)a));
        Assert.Contains("--maxmemory 300mb", args);
        Assert.Contains("--maxmemory-policy allkeys-lru", args);
        Assert.Contains("--appendonly no", args);
        Assert.Contains("--save  ", args + " "); // an empty --save: no RDB snapshots
        Assert.Null(deployment["spec"]!["volumeClaimTemplates"]);
        Assert.DoesNotContain(pod["volumes"]!.AsArray(), v => v!["persistentVolumeClaim"] is not null);
        AssertPodIsHardened(pod.AsObject());

        var secret = manifests.Get("Secret", "t-orleans-tts-redis")["stringData"]!;
        Assert.Equal($"t-orleans-tts-redis-cache:6379,password={secret["password"]},abortConnect=false", (string?)secret["cache-connection-string"]);
        Assert.Equal(6379, (int)manifests.Get("Service", "t-orleans-tts-redis-cache")["spec"]!["ports"]![0]!["port"]!);
        foreach (var tier in new[] { "silo", "frontend" })
        {
            var cache = Env(manifests, $"t-orleans-tts-{tier}").Single(e => (string?)e!["name"] == "TTS_REDIS_CACHE")!["valueFrom"]!["secretKeyRef"]!;
            Assert.Equal("t-orleans-tts-redis", (string?)cache["name"]);
            Assert.Equal("cache-connection-string", (string?)cache["key"]);
        }

        // Without the cache instance the result cache shares the state Redis: no TTS_REDIS_CACHE, no cache objects.
        var without = Helm.Template("--set", "redis.bundled.cache.enabled=false");
        Assert.DoesNotContain(without.OfKind("Deployment"), d => (string?)d["metadata"]!["name"] == "t-orleans-tts-redis-cache");
        Assert.Null(SecretOf(Env(without, "t-orleans-tts-silo"), "TTS_REDIS_CACHE"));
        Assert.Null(without.Get("Secret", "t-orleans-tts-redis")["stringData"]!["cache-connection-string"]);
    }

    [Fact]
    public void The_bundled_redis_keeps_an_append_only_file_on_a_claim_never_evicts_and_hands_its_password_over_a_secret()
    {
        var manifests = Helm.Template("--set", "redis.bundled.image=redis:7.4");
        var set = manifests.Get("StatefulSet", "t-orleans-tts-redis");
        var pod = set["spec"]!["template"]!["spec"]!;
        var container = pod["containers"]![0]!;
        Assert.Equal("redis:7.4", (string?)container["image"]);
        var args = string.Join(' ', container["args"]!.AsArray().Select(a => (string?)a));
        Assert.Contains("--appendonly yes", args);
        Assert.Contains("--appendfsync everysec", args);
        Assert.Contains("--maxmemory-policy noeviction", args);
        Assert.Contains("--dir /data", args);
        Assert.Contains("--requirepass $(REDIS_PASSWORD)", args);
        // The AOF directory is the claim, not the read-only root filesystem.
        Assert.Equal("/data", (string?)container["volumeMounts"]!.AsArray().Single(v => (string?)v!["name"] == "data")!["mountPath"]);
        var claim = Assert.Single(set["spec"]!["volumeClaimTemplates"]!.AsArray())!;
        Assert.Equal("data", (string?)claim["metadata"]!["name"]);
        Assert.DoesNotContain(pod["volumes"]!.AsArray(), v => (string?)v!["name"] == "data");
        AssertPodIsHardened(pod.AsObject());

        var secret = manifests.Get("Secret", "t-orleans-tts-redis")["stringData"]!;
        var password = (string)secret["password"]!;
        Assert.Equal(32, password.Length);
        Assert.Equal($"t-orleans-tts-redis:6379,password={password},abortConnect=false", (string?)secret["connection-string"]);
        Assert.Equal("t-orleans-tts-redis", SecretOf(Env(manifests, "t-orleans-tts-silo"), "TTS_REDIS"));
        Assert.Equal(6379, (int)manifests.Get("Service", "t-orleans-tts-redis")["spec"]!["ports"]![0]!["port"]!);

        // appendfsync is a value (everysec or always); anything else refuses to render.
        Assert.Contains("--appendfsync always", string.Join(' ', Helm.Template("--set", "redis.bundled.appendfsync=always")
            .Get("StatefulSet", "t-orleans-tts-redis")["spec"]!["template"]!["spec"]!["containers"]![0]!["args"]!.AsArray().Select(a => (string?)a)));
        var (code, output) = Helm.Run(Helm.Binary, "", "template", "t", Helm.Chart, "--set", "redis.bundled.appendfsync=no");
        Assert.NotEqual(0, code);
        Assert.Contains("redis.bundled.appendfsync is \"no\"", output);

        var existing = Helm.Template([.. Frontends, "--set", "redis.existingSecret=redis", "--set", "redis.secretKey=cs"]);
        Assert.DoesNotContain(existing.OfKind("Deployment"), d => (string?)d["metadata"]!["name"] == "t-orleans-tts-redis-cache");
        Assert.DoesNotContain(existing.OfKind("StatefulSet"), s => (string?)s["metadata"]!["name"] == "t-orleans-tts-redis");
        Assert.DoesNotContain(existing.OfKind("NetworkPolicy"), n => (string?)n["metadata"]!["name"] == "t-orleans-tts-redis");
        Assert.Equal("cs", (string?)Env(existing, "t-orleans-tts-frontend").Single(e => (string?)e!["name"] == "TTS_REDIS")!["valueFrom"]!["secretKeyRef"]!["key"]);
    }

    [Fact]
    public void Kubernetes_hosting_is_on_by_default_and_lets_only_the_silos_watch_and_patch_pods_and_delete_them_only_when_asked()
    {
        var on = Helm.Template(Frontends);
        var role = on.Get("Role", "t-orleans-tts-orleans-hosting");
        var rule = Assert.Single(role["rules"]!.AsArray())!;
        Assert.Equal(["pods"], rule["resources"]!.AsArray().Select(r => (string?)r));
        Assert.Equal(["get", "list", "watch", "patch"], rule["verbs"]!.AsArray().Select(v => (string?)v));
        var binding = on.Get("RoleBinding", "t-orleans-tts-orleans-hosting");
        Assert.Equal("t-orleans-tts", (string?)binding["subjects"]![0]!["name"]);
        Assert.Equal("Role", (string?)binding["roleRef"]!["kind"]);
        Assert.Equal("t-orleans-tts", (string?)on.Get("ServiceAccount", "t-orleans-tts")["metadata"]!["name"]);
        Assert.Equal("t-orleans-tts", (string?)PodSpec(on, "Deployment", "t-orleans-tts-silo")["serviceAccountName"]);
        Assert.True((bool)PodSpec(on, "Deployment", "t-orleans-tts-silo")["automountServiceAccountToken"]!);
        Assert.False((bool)PodSpec(on, "Deployment", "t-orleans-tts-frontend")["automountServiceAccountToken"]!);
        Assert.Equal("true", Value(Env(on, "t-orleans-tts-silo"), "TTS_KUBERNETES_HOSTING"));
        Assert.Null(Value(Env(on, "t-orleans-tts-silo"), "TTS_KUBERNETES_DELETE_DEFUNCT_PODS"));
        Assert.Null(Value(Env(on, "t-orleans-tts-frontend"), "TTS_KUBERNETES_HOSTING"));

        var deleting = Helm.Template("--set", "orleans.kubernetesHosting.deleteDefunctPods=true");
        Assert.Equal(["get", "list", "watch", "patch", "delete"],
            deleting.Get("Role", "t-orleans-tts-orleans-hosting")["rules"]![0]!["verbs"]!.AsArray().Select(v => (string?)v));
        Assert.Equal("true", Value(Env(deleting, "t-orleans-tts-silo"), "TTS_KUBERNETES_DELETE_DEFUNCT_PODS"));

        foreach (var off in new[]
                 {
                     Helm.Template("--set", "orleans.kubernetesHosting.enabled=false"),
                     // One silo without Redis has no cluster to watch.
                     Helm.Template("--set", "coHosted=true", "--set", "autoscaling.enabled=false", "--set", "silo.replicas=1", "--set", "redis.bundled.enabled=false"),
                 })
        {
            Assert.DoesNotContain(off.OfKind("Role"), r => ((string)r["metadata"]!["name"]!).EndsWith("-orleans-hosting", StringComparison.Ordinal));
            Assert.DoesNotContain(off.OfKind("RoleBinding"), r => ((string)r["metadata"]!["name"]!).EndsWith("-orleans-hosting", StringComparison.Ordinal));
            Assert.False((bool)PodSpec(off, "Deployment", "t-orleans-tts-silo")["automountServiceAccountToken"]!);
            Assert.Equal("false", Value(Env(off, "t-orleans-tts-silo"), "TTS_KUBERNETES_HOSTING"));
        }
    }

    [Fact]
    public void Rolling_updates_add_one_silo_before_removing_one()
    {
        foreach (var d in Helm.Template(Frontends).OfKind("Deployment"))
        {
            var rolling = d["spec"]!["strategy"]!["rollingUpdate"]!;
            Assert.Equal(1, (int)rolling["maxSurge"]!);
            Assert.Equal(0, (int)rolling["maxUnavailable"]!);
        }
    }

    [Fact]
    public void Every_tts_setting_the_chart_sets_is_one_the_application_reads()
    {
        var source = string.Join("\n", new[] { "Silo", "Grains", "Frontend", "GrainInterfaces", "Speech", "Synthesis", "ClusterClient", "Client.Http", "Audio", "EngineHost" }
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
        Assert.Contains("TTS_REDIS", settings);
        Assert.Contains("TTS_REDIS_CACHE", settings);
        Assert.All(settings, n => Assert.Contains($"\"{n}\"", source));
    }

    private static void AssertPodIsHardened(JsonObject pod, bool tokenAllowed = false)
    {
        Assert.Equal(tokenAllowed, (bool)pod["automountServiceAccountToken"]!);
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
        // TTS_DRAIN_SECONDS and stops within drain + 10 s (HostOptions.ShutdownTimeout); a stop stuck beyond that (Redis down)
        // ends the process 5 s later (ShutdownDeadline), all before SIGKILL.
        Assert.True((int)pod["terminationGracePeriodSeconds"]! - 5 > 45 + 10 + 5);
        Assert.NotNull(pod["containers"]![0]!["lifecycle"]!["preStop"]);
    }

    [Fact]
    public void A_grace_margin_too_short_for_the_hosts_shutdown_refuses_to_render()
    {
        var (code, output) = Helm.Run(Helm.Binary, "", "template", "t", Helm.Chart, "--set", "shutdown.extraGraceSeconds=12");
        Assert.NotEqual(0, code);
        Assert.Contains("shutdown.extraGraceSeconds is 12: it must be at least 16", output);
    }

    [Fact]
    public void Each_tier_has_an_hpa_on_cpu_memory_requests_per_second_and_queue_length_with_behaviour()
    {
        var manifests = Helm.Template([.. Frontends, "--set", "autoscaling.behavior.scaleDown.stabilizationWindowSeconds=600"]);
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
        var manifests = Helm.Template([.. Frontends, "--set", "autoscaling.enabled=false", "--set", "silo.replicas=7"]);
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
        // The job backlog through Prometheus: every silo reports the cluster-wide backlog, so the query takes the max over the silo pods.
        var backlog = triggers.Single(t => (string?)t!["type"] == "prometheus")!["metadata"]!;
        Assert.Equal("max(tts_job_backlog{namespace=\"tts\",pod=~\"t-orleans-tts-silo-.*\"})", (string?)backlog["query"]);
        Assert.Equal("10", (string?)backlog["threshold"]);
        Assert.StartsWith("http://", (string?)backlog["serverAddress"]);
        // Frontends run no jobs: no backlog trigger there.
        Assert.DoesNotContain(manifests.Get("ScaledObject", "t-orleans-tts-frontend")["spec"]!["triggers"]!.AsArray(), t => (string?)t!["type"] == "prometheus");
        Assert.Contains(triggers, t => (string?)t!["type"] == "cron" && (string?)t["metadata"]!["desiredReplicas"] == "6");
    }

    [Fact]
    public void Co_hosting_deploys_one_tier_that_serves_the_public_service()
    {
        var manifests = Helm.Template("--set", "coHosted=true");
        Assert.Equal("t-orleans-tts-silo", Assert.Single(manifests.OfKind("Deployment"), d => !((string)d["metadata"]!["name"]!).Contains("redis", StringComparison.Ordinal))["metadata"]!["name"]!.ToString());
        Assert.Equal("silo", (string?)manifests.Get("Service", "t-orleans-tts")["spec"]!["selector"]!["app.kubernetes.io/component"]);
    }

    private static JsonArray IngressOn(JsonNode policy, int port) => new(policy["spec"]!["ingress"]!.AsArray()
        .Where(r => r!["ports"]!.AsArray().Any(p => (int)p!["port"]! == port)).Select(r => r!.DeepClone()).ToArray());

    [Fact]
    public void Network_policies_let_silos_reach_each_other_and_clients_reach_the_gateway_and_only_cluster_members_reach_both_redis()
    {
        var manifests = Helm.Template([.. Frontends,
            "--set-json", """networkPolicy.gatewayFrom=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"billing"}}}]"""]);
        var silo = manifests.Get("NetworkPolicy", "t-orleans-tts-silo");
        Assert.Equal("silo", (string?)silo["spec"]!["podSelector"]!["matchLabels"]!["app.kubernetes.io/component"]);
        var siloRule = Assert.Single(IngressOn(silo, 11111))!;
        Assert.Equal("silo", (string?)Assert.Single(siloRule["from"]!.AsArray())!["podSelector"]!["matchLabels"]!["app.kubernetes.io/component"]);
        var gatewayFrom = Assert.Single(IngressOn(silo, 30000))!["from"]!.AsArray();
        Assert.Equal("frontend", (string?)gatewayFrom[0]!["podSelector"]!["matchLabels"]!["app.kubernetes.io/component"]);
        Assert.Equal("billing", (string?)gatewayFrom[1]!["namespaceSelector"]!["matchLabels"]!["kubernetes.io/metadata.name"]);
        Assert.Equal(2, gatewayFrom.Count);
        // HTTP on a separate-tier silo only for Prometheus; the public API is on the frontends.
        Assert.NotNull(Assert.Single(IngressOn(silo, 8080))!["from"]![0]!["namespaceSelector"]);
        Assert.Equal(3, silo["spec"]!["ingress"]!.AsArray().Count);
        Assert.Single(IngressOn(manifests.Get("NetworkPolicy", "t-orleans-tts-frontend"), 8080));

        // The silo and frontend pods carry the client labels the Redis and PostgreSQL policies admit.
        var redis = manifests.Get("NetworkPolicy", "t-orleans-tts-redis")["spec"]!;
        Assert.Equal("redis", (string?)redis["podSelector"]!["matchLabels"]!["app.kubernetes.io/component"]);
        var redisFrom = redis["ingress"]![0]!["from"]![0]!["podSelector"]!["matchLabels"]!.AsObject();
        Assert.Equal(6379, (int)redis["ingress"]![0]!["ports"]![0]!["port"]!);
        var cache = manifests.Get("NetworkPolicy", "t-orleans-tts-redis-cache")["spec"]!;
        Assert.Equal("redis-cache", (string?)cache["podSelector"]!["matchLabels"]!["app.kubernetes.io/component"]);
        var cacheFrom = cache["ingress"]![0]!["from"]![0]!["podSelector"]!["matchLabels"]!.AsObject();
        Assert.Equal(6379, (int)cache["ingress"]![0]!["ports"]![0]!["port"]!);
        foreach (var tier in new[] { "silo", "frontend" })
        {
            var labels = manifests.Get("Deployment", $"t-orleans-tts-{tier}")["spec"]!["template"]!["metadata"]!["labels"]!;
            foreach (var from in new[] { redisFrom, cacheFrom })
                Assert.All(from, kv => Assert.Equal((string?)kv.Value, (string?)labels[kv.Key]));
        }
        Assert.Equal(2, redisFrom.Count);
        Assert.Equal("t-orleans-tts-redis", SecretOf(Env(manifests, "t-orleans-tts-silo"), "TTS_REDIS_CACHE"));

        // Co-hosted: the silos serve the public API themselves; no frontend tier, no frontend gateway rule.
        var coHosted = Helm.Template("--set", "coHosted=true").Get("NetworkPolicy", "t-orleans-tts-silo");
        Assert.Empty(IngressOn(coHosted, 30000));
        Assert.Single(IngressOn(coHosted, 11111));
        Assert.Null(Assert.Single(IngressOn(coHosted, 8080))!["from"]);
    }

    [Fact]
    public void The_headless_silo_service_lists_the_gateway_port_of_every_ready_silo_pod()
    {
        var service = Helm.Template().Get("Service", "t-orleans-tts-silo")["spec"]!;
        Assert.Equal("None", (string?)service["clusterIP"]);
        var gateway = service["ports"]!.AsArray().Single(p => (string?)p!["name"] == "gateway")!;
        Assert.Equal(30000, (int)gateway["port"]!);
        Assert.Equal("gateway", (string?)gateway["targetPort"]);
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
        Assert.Equal(["TtsAdmissionRefusalsRising", "TtsAdmissionRejections", "TtsGatewayLoadShedding", "TtsHigh5xxRate", "TtsHighCpu", "TtsHighLatencyP95",
            "TtsLiveSilosBelowMinimum", "TtsLongRunningGrainTurns", "TtsQueueSaturated", "TtsSiloDeclaredDead"], alerts.Keys.Order());
        Assert.Contains("tts_silos_declared_dead_total", (string)alerts["TtsSiloDeclaredDead"]["expr"]!);
        Assert.Contains("orleans_scheduler_long_running_turns_total", (string)alerts["TtsLongRunningGrainTurns"]["expr"]!);
        Assert.Contains("orleans_gateway_load_shedding_total", (string)alerts["TtsGatewayLoadShedding"]["expr"]!);
        Assert.Contains("offset 10m", (string)alerts["TtsAdmissionRefusalsRising"]["expr"]!);
        Assert.Equal("5m", (string?)alerts["TtsHighCpu"]["for"]);
        Assert.Contains("> 0.8", (string)alerts["TtsHighCpu"]["expr"]!);
        Assert.Equal("3m", (string?)alerts["TtsHighLatencyP95"]["for"]);
        Assert.Contains("> 2", (string)alerts["TtsHighLatencyP95"]["expr"]!);
        Assert.Equal("2m", (string?)alerts["TtsHigh5xxRate"]["for"]);
        Assert.Contains("> 0.05", (string)alerts["TtsHigh5xxRate"]["expr"]!);
    }
}
