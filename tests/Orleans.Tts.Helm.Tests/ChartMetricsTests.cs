using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Orleans.Tts.Helm.Tests;

/// <summary>
/// Every metric the chart's alerts, Grafana dashboard, prometheus-adapter rules and KEDA trigger query is one the application
/// exports: ours from TtsMetrics.cs (the instrument kinds decide the suffixes), Orleans' from the instrument names recorded from
/// Microsoft.Orleans.Core 10.4.2 (orleans-10.4.2-instruments.txt), plus kube-state-metrics' for the CPU limit.
/// </summary>
public sealed partial class ChartMetricsTests
{
    // Not ours: kube-state-metrics, which the CPU alert divides by.
    private static readonly string[] KubeStateMetrics = ["kube_pod_container_resource_limits"];

    [GeneratedRegex("""Meter\.Create(?<kind>Counter|Histogram|UpDownCounter|ObservableCounter|ObservableGauge|ObservableUpDownCounter)(<[^>]+>)?\(\s*"(?<name>[a-z0-9_]+)"(?<rest>[^;]*);""", RegexOptions.Singleline)]
    private static partial Regex Instrument();

    [GeneratedRegex(@"\b(?:tts|orleans|process|dotnet|kube)_[a-z0-9_]+\b")]
    private static partial Regex MetricName();

    /// <summary>Prometheus family names of the Orleans.Tts meter, as OpenTelemetry's exporter names them.</summary>
    private static HashSet<string> OurMetrics()
    {
        var source = File.ReadAllText(Path.Combine(Helm.Root, "Synthesis", "Telemetry", "TtsMetrics.cs"));
        var names = new HashSet<string>();
        foreach (Match m in Instrument().Matches(source))
        {
            var name = m.Groups["name"].Value;
            switch (m.Groups["kind"].Value)
            {
                case "Counter" or "ObservableCounter":
                    names.Add(name.EndsWith("_total", StringComparison.Ordinal) ? name : name + "_total");
                    break;
                case "Histogram":
                    foreach (var suffix in new[] { "_bucket", "_sum", "_count" }) names.Add(name + suffix);
                    break;
                default:
                    names.Add(name);
                    break;
            }
        }
        Assert.Contains("tts_requests_total", names);
        Assert.Contains("tts_request_duration_seconds_bucket", names);
        Assert.Contains("tts_job_backlog", names);
        return names;
    }

    /// <summary>orleans-x-y → orleans_x_y (the exporter adds a unit suffix and _total or _bucket/_sum/_count after it).</summary>
    private static List<string> OrleansInstruments() =>
        File.ReadAllLines(Path.Combine(Helm.Root, "tests", "Orleans.Tts.Helm.Tests", "orleans-10.4.2-instruments.txt"))
            .Where(l => l.StartsWith("orleans-", StringComparison.Ordinal)).Select(l => l.Trim().Replace('-', '_')).ToList();

    private static bool IsOrleansMetric(string metric, List<string> instruments) =>
        instruments.Any(i => metric == i || Regex.IsMatch(metric, $"^{Regex.Escape(i)}(_[a-z]+)?(_total|_bucket|_sum|_count)?$"));

    /// <summary>The metric names in <paramref name="text"/> that nothing exports.</summary>
    private static List<string> Unknown(string text)
    {
        var ours = OurMetrics();
        var orleans = OrleansInstruments();
        return MetricName().Matches(text).Select(m => m.Value).Distinct()
            .Where(n => !ours.Contains(n) && !KubeStateMetrics.Contains(n) && !(n.StartsWith("orleans_", StringComparison.Ordinal) && IsOrleansMetric(n, orleans)))
            .ToList();
    }

    [Fact]
    public void Alerts_dashboard_adapter_rules_and_keda_query_only_metrics_that_exist()
    {
        var manifests = Helm.Template("--set", "monitoring.prometheusRule.enabled=true", "--set", "monitoring.grafanaDashboard.enabled=true");
        var rules = manifests.Get("PrometheusRule", "t-orleans-tts")["spec"]!["groups"]![0]!["rules"]!.AsArray();
        var expressions = rules.Select(r => (string)r!["expr"]!).ToList();
        Assert.True(expressions.Count >= 10);
        Assert.All(expressions, e => Assert.NotEmpty(MetricName().Matches(e)));
        Assert.All(expressions, e => Assert.Empty(Unknown(e)));
        // The Orleans metrics the cluster alerts rest on are among the 10.4.2 instruments.
        var all = string.Join('\n', expressions);
        Assert.Contains("orleans_scheduler_long_running_turns_total", all);
        Assert.Contains("orleans_gateway_load_shedding_total", all);

        var dashboard = (string)manifests.Get("ConfigMap", "t-orleans-tts-dashboard")["data"]!["orleans-tts.json"]!;
        var queries = JsonNode.Parse(dashboard)!["panels"]!.AsArray().SelectMany(p => p!["targets"]!.AsArray()).Select(t => (string)t!["expr"]!).ToList();
        Assert.All(queries, q => Assert.Empty(Unknown(q)));
        // Silos, load, queue, cache hit rate and time to first audio are on it.
        foreach (var shown in new[] { "tts_cluster_live_silos", "tts_requests_total", "tts_worker_queue_length", "tts_cache_lookups_total", "tts_time_to_first_audio_seconds_bucket" })
            Assert.Contains(queries, q => q.Contains(shown, StringComparison.Ordinal));

        Assert.Empty(Unknown((string)manifests.Get("ConfigMap", "t-orleans-tts-prometheus-adapter-rules")["data"]!["config.yaml"]!));
        var keda = Helm.Template("--set", "autoscaling.keda.enabled=true").Get("ScaledObject", "t-orleans-tts-silo");
        Assert.Empty(Unknown(keda["spec"]!["triggers"]!.ToJsonString()));
    }

    [Fact]
    public void The_check_reports_a_metric_nobody_exports()
    {
        Assert.Equal(["orleans_made_up_turns_total", "tts_made_up_total"],
            Unknown("rate(orleans_made_up_turns_total[5m]) + tts_made_up_total + tts_requests_total + orleans_gateway_load_shedding_total").Order());
        // A histogram's families exist only with their suffixes; a gauge gets no _total.
        Assert.Equal(["tts_job_backlog_total", "tts_request_duration_seconds"], Unknown("tts_request_duration_seconds + tts_job_backlog_total").Order());
    }
}
