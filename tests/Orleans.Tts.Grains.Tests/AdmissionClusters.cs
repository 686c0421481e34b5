using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;
using Orleans.Tts.Admission;
using Orleans.Tts.Grains.Admission;
using Orleans.Tts.Grains.Cluster;

namespace Orleans.Tts.Grains.Tests;

/// <summary>In-process Orleans clusters for the admission tests: every silo a holder of capacity 2 with its own <see cref="ClusterAdmission"/>.</summary>
internal static class AdmissionClusters
{
    /// <param name="report">Each silo reports its holdings every second (<see cref="AdmissionReporter"/>), as in production.</param>
    public static async Task<InProcessTestCluster> StartAsync(int silos, AdmissionOptions options, bool report = false)
    {
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Configure<ClusterMembershipOptions>(FastFailureDetection);
            silo.AddSiloKeyedPlacement();
            silo.ConfigureServices(services =>
            {
                services.AddSingleton(options);
                services.AddSingleton<ClusterLoad>();
                services.AddSingleton(sp => new AdmissionHolder(sp.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString(), isSilo: true, capacity: 2));
                services.AddSingleton<ClusterAdmission>();
                if (report) services.AddHostedService<AdmissionReporter>();
            });
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    /// <summary>The <see cref="ClusterAdmission"/> of silo <paramref name="silo"/>.</summary>
    public static ClusterAdmission AdmissionOn(this InProcessTestCluster cluster, int silo) =>
        cluster.Silos[silo].ServiceProvider.GetRequiredService<ClusterAdmission>();

    /// <summary>A request of <paramref name="client"/> willing to wait a minute for its permit.</summary>
    public static AdmissionRequest Request(string client) => new(client, "espeak:en-us", 40, TimeSpan.FromSeconds(60));

    /// <summary>Orleans' own tests' settings: a silo killed is declared dead within a few seconds.</summary>
    internal static void FastFailureDetection(ClusterMembershipOptions o)
    {
        o.ProbeTimeout = TimeSpan.FromSeconds(1);
        o.NumMissedProbesLimit = 1;
        o.NumVotesForDeathDeclaration = 1;
    }
}
