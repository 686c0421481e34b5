using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.Tts.Grains.Speakers;
using Orleans.Tts.Speakers;

namespace Orleans.Tts.Grains.Tests;

[Collection(SpeakerClusterCollection.Name)]
public sealed class SpeakerGrainTests(SpeakerClusterFixture fixture)
{
    private static CountingEmbeddingProvider Provider => SpeakerClusterFixture.Provider;

    /// <summary>Every silo asks for the embedding <paramref name="perSilo"/> times at once; the answers, in silo order.</summary>
    private async Task<SpeakerEmbedding?[]> AskFromEverySiloAsync(SpeakerRef speaker, int perSilo = 4) =>
        await Task.WhenAll(fixture.Directories.SelectMany(d => Enumerable.Range(0, perSilo).Select(_ => d.GetEmbeddingAsync(speaker).AsTask())));

    [Fact]
    public async Task A_speaker_embedding_asked_for_by_3_silos_at_once_is_computed_once()
    {
        Assert.Equal(3, fixture.Directories.Count);
        var profile = await fixture.Speaker("once").CreateAsync(new SpeakerDefinition("test:a", Speed: 1.2));
        Assert.NotNull(profile);

        var answers = await AskFromEverySiloAsync(new SpeakerRef("once", profile.Version));

        Assert.Equal(1, Provider.Computed("once"));
        Assert.All(answers, e => Assert.Equal("test:a@1"u8.ToArray(), e!.Data));
        Assert.All(answers, e => Assert.Equal(("once", 1L, "test"), (e!.SpeakerId, e.Version, e.Kind)));
    }

    [Fact]
    public async Task A_new_version_is_computed_once_again_and_old_versions_stay_cached_on_the_silos()
    {
        var grain = fixture.Speaker("versions");
        var v1 = await grain.PutAsync(new SpeakerDefinition("test:a"));
        await AskFromEverySiloAsync(new SpeakerRef("versions", v1.Version));
        var v2 = await grain.PutAsync(new SpeakerDefinition("test:b"));
        Assert.Equal(v1.Version + 1, v2.Version);

        var answers = await AskFromEverySiloAsync(new SpeakerRef("versions", v2.Version));

        Assert.Equal(2, Provider.Computed("versions"));
        Assert.All(answers, e => Assert.Equal("test:b@2"u8.ToArray(), e!.Data));
        // A request accepted at version 1 gets version 1's style from its silo's cache, without the grain.
        Assert.All(await AskFromEverySiloAsync(new SpeakerRef("versions", v1.Version), perSilo: 1), e => Assert.Equal(1, e!.Version));
        // Version 0 (a job unit) means the current version.
        Assert.All(await AskFromEverySiloAsync(new SpeakerRef("versions", 0), perSilo: 1), e => Assert.Equal(2, e!.Version));
        Assert.Equal(2, Provider.Computed("versions"));
    }

    [Fact]
    public async Task The_profile_and_its_voice_table_survive_the_grains_deactivation()
    {
        var table = Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray();
        var grain = fixture.Speaker("durable");
        var created = await grain.CreateAsync(new SpeakerDefinition("test:a", 1.5, -2, 0.5, Blend: [new SpeakerBlendPart("x", 1)]));
        var uploaded = await grain.SetVoiceTableAsync(table);
        Assert.Equal(created!.Version + 1, uploaded!.Version);

        await fixture.Cluster.DeactivateAsync(grain);

        var read = await grain.GetAsync();
        Assert.Equal((uploaded.BaseVoiceId, uploaded.Speed, uploaded.Pitch, uploaded.Volume, uploaded.Version, uploaded.UpdatedAt, uploaded.VoiceTable),
            (read!.BaseVoiceId, read.Speed, read.Pitch, read.Volume, read.Version, read.UpdatedAt, read.VoiceTable));
        Assert.Null(read.Blend); // an upload replaces the blend
        Assert.Equal(table, await grain.GetVoiceTableAsync());
        Assert.Equal(table, (await grain.GetEmbeddingAsync())!.Data);
        Assert.Equal(uploaded.Version + 1, (await grain.PutAsync(new SpeakerDefinition("test:a"))).Version);
        Assert.Null(await grain.CreateAsync(new SpeakerDefinition("test:b"))); // taken
    }

    [Fact]
    public async Task A_blend_survives_the_grains_deactivation_and_is_listed()
    {
        IReadOnlyList<SpeakerBlendPart> blend = [new SpeakerBlendPart("af_bella", 0.7), new SpeakerBlendPart("af_sky", 0.3)];
        var grain = fixture.Speaker("stored-blend");
        var created = await grain.CreateAsync(new SpeakerDefinition("test:a", Blend: blend));

        await fixture.Cluster.DeactivateAsync(grain);

        var read = await grain.GetAsync();
        Assert.Equal(blend, read!.Blend);
        Assert.Equal(created!.UpdatedAt, read.UpdatedAt);
        Assert.Equal(blend, Assert.Single(await fixture.Directories[0].ListAsync(), p => p.Id == "stored-blend").Blend);
    }

    [Fact]
    public async Task A_deleted_speaker_is_gone_and_a_new_one_under_its_id_never_reuses_a_version()
    {
        var grain = fixture.Speaker("deleted");
        var created = await grain.CreateAsync(new SpeakerDefinition("test:a"));
        await AskFromEverySiloAsync(new SpeakerRef("deleted", created!.Version), perSilo: 1);
        Assert.Contains(await fixture.Directories[0].ListAsync(), p => p.Id == "deleted");

        Assert.True(await grain.DeleteAsync());

        Assert.False(await grain.DeleteAsync());
        Assert.Null(await grain.GetAsync());
        Assert.Null(await grain.GetEmbeddingAsync());
        Assert.Null(await grain.GetVoiceTableAsync());
        Assert.DoesNotContain(await fixture.Directories[1].ListAsync(), p => p.Id == "deleted");
        Assert.All(await AskFromEverySiloAsync(new SpeakerRef("deleted", 0), perSilo: 1), Assert.Null);
        await fixture.Cluster.DeactivateAsync(grain);
        Assert.Null(await grain.GetAsync());
        // Silos still hold version 1's embedding, so the speaker created again must not be version 1.
        var again = await grain.CreateAsync(new SpeakerDefinition("test:b"));
        Assert.Equal(created.Version + 1, again!.Version);
        Assert.All(await AskFromEverySiloAsync(new SpeakerRef("deleted", again.Version), perSilo: 1), e => Assert.Equal("test:b@2"u8.ToArray(), e!.Data));
    }

    [Fact]
    public async Task The_index_lists_full_profiles_by_id_and_counts_them()
    {
        var directory = fixture.Directories[2];
        var before = await directory.CountAsync();
        var ids = new[] { "list-c", "list-a", "list-b" };
        foreach (var id in ids) await fixture.Speaker(id).CreateAsync(new SpeakerDefinition("test:a", Pitch: 3));
        var changed = await fixture.Speaker("list-b").PutAsync(new SpeakerDefinition("test:z", Volume: 1.5));

        var listed = await directory.ListAsync();

        Assert.Equal(before + 3, await directory.CountAsync());
        Assert.Equal(listed.Select(p => p.Id).Order(StringComparer.Ordinal), listed.Select(p => p.Id));
        var b = Assert.Single(listed, p => p.Id == "list-b");
        Assert.Equal((changed.BaseVoiceId, changed.Volume, changed.Version, changed.UpdatedAt), (b.BaseVoiceId, b.Volume, b.Version, b.UpdatedAt));
        Assert.Equal(3, Assert.Single(listed, p => p.Id == "list-a").Pitch);
        await fixture.Speaker("list-c").DeleteAsync();
        Assert.Equal(before + 2, await directory.CountAsync());
    }

    [Fact]
    public async Task A_write_the_store_refuses_is_a_SpeakerStorageException_and_changes_nothing()
    {
        var grain = fixture.Speaker("broken-write");

        var refused = await Assert.ThrowsAsync<SpeakerStorageException>(async () => await grain.CreateAsync(new SpeakerDefinition("test:a")));

        Assert.Contains("'broken-write'", refused.Message);
        Assert.Null(await grain.GetAsync()); // a new activation read the store: the refused profile is not served
        Assert.DoesNotContain(await fixture.Directories[0].ListAsync(), p => p.Id == "broken-write");
    }

    [Fact]
    public void Speaker_state_round_trips_through_the_storage_serializer_Redis_and_memory_storage_use()
    {
        var serializer = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<IGrainStorageSerializer>();
        var table = Enumerable.Range(0, 2048).Select(i => (byte)(i * 7)).ToArray();
        var parts = new List<SpeakerBlendPart> { new("af_bella", 7), new("af_sky", 3) };
        // As the API builds a blend: a collection expression, whose list type is made by the compiler.
        IReadOnlyList<SpeakerBlendPart> blend = [.. parts.Select(p => p with { Weight = p.Weight / 10 })];
        var profile = new SpeakerProfile("stored", "kokoro:af_bella", 1.1, -1, 0.9, null, 4, DateTimeOffset.UnixEpoch.AddDays(20000), blend, SpeakerVoiceTable.Of(table));

        var state = serializer.Deserialize<SpeakerState>(serializer.Serialize(new SpeakerState { Profile = profile, VoiceTable = table, Version = 4 }))!;
        var index = serializer.Deserialize<SpeakerIndexState>(serializer.Serialize(new SpeakerIndexState { Speakers = { ["stored"] = profile } }))!;

        Assert.Equal(4, state.Version);
        Assert.Equal(table, state.VoiceTable);
        foreach (var read in new[] { state.Profile!, index.Speakers["stored"] })
        {
            Assert.Equal(profile with { Blend = null }, read with { Blend = null });
            Assert.Equal(blend, read.Blend);
        }
    }
}
