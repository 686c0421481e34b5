using System.Text.Json.Nodes;

namespace Orleans.Tts.Helm.Tests;

/// <summary><c>helm upgrade … --set silo.replicas=N</c> without autoscaling changes the silo Deployment's replica count and nothing else.</summary>
public sealed class ResizeChartTests
{
    private static Dictionary<string, JsonObject> Render(int replicas, params string[] sets)
    {
        var manifests = Helm.Template(["--set", "autoscaling.enabled=false", "--set", $"silo.replicas={replicas}", .. sets]);
        var byId = new Dictionary<string, JsonObject>();
        foreach (var m in manifests.All)
        {
            var copy = m.DeepClone().AsObject();
            // The bundled Redis password is generated when no Secret exists yet; in a cluster `lookup` finds the existing Secret
            // and keeps it across upgrades, offline each render draws a new one.
            if ((string?)copy["kind"] == "Secret" && (string?)copy["metadata"]!["name"] == "t-orleans-tts-redis") copy.Remove("stringData");
            Assert.True(byId.TryAdd($"{copy["apiVersion"]}/{copy["kind"]}/{copy["metadata"]!["name"]}", copy), "two objects of one kind and name");
        }
        return byId;
    }

    [Theory]
    [InlineData()]
    [InlineData("--set", "coHosted=false")]
    [InlineData("--set", "monitoring.prometheusRule.enabled=true", "--set", "monitoring.serviceMonitor.enabled=true", "--set", "ingress.enabled=true")]
    public void Three_to_five_silos_changes_only_the_silo_replica_count(params string[] sets)
    {
        var three = Render(3, sets);
        var five = Render(5, sets);
        Assert.Equal(three.Keys.Order(), five.Keys.Order());
        var changed = three.Keys.Where(id => !JsonNode.DeepEquals(three[id], five[id])).ToList();
        Assert.Equal(["apps/v1/Deployment/t-orleans-tts-silo"], changed);

        var before = three[changed[0]];
        var after = five[changed[0]];
        Assert.Equal(3, (int)before["spec"]!["replicas"]!);
        Assert.Equal(5, (int)after["spec"]!["replicas"]!);
        before["spec"]!.AsObject().Remove("replicas");
        after["spec"]!.AsObject().Remove("replicas");
        Assert.True(JsonNode.DeepEquals(before, after), "the silo Deployment differs in more than spec.replicas");
    }
}
