using Ortho.Activations;
using Ortho.Cli.Plotting;
using Ortho.Data;
using Ortho.Inference;
using Ortho.IO;
using Ortho.IO.HuggingFace;
using Ortho.Models;
using Ortho.Tests.IO;
using Xunit;

namespace Ortho.Tests.Viz;

/// <summary>Whole-split evaluation, recorded activation inputs, loading runs and reading metrics logs.</summary>
public class InferenceTests
{
    [Fact]
    public void LmEvaluationPredictsEveryTokenOnceInBlockWindows()
    {
        var model = GenerationTests.TinyGpt(block: 8);
        var rng = new Rng(2);
        var tokens = Enumerable.Range(0, 61).Select(_ => rng.NextInt(256)).ToArray(); // 60 targets: 7 full windows and one of 4
        var r = Evaluation.Lm(model, tokens, batch: 3);
        Assert.Equal(60, r.Tokens);
        Assert.Equal(8, r.Sequences);
        // Brute force: each window on its own, the loss as a sum of -log softmax.
        double sum = 0;
        using (Tensor.NoGrad())
            for (int start = 0; start < 60; start += 8)
            {
                int len = Math.Min(8, 60 - start);
                var logits = model.Forward(tokens.AsSpan(start, len), 1, len).Data;
                for (int t = 0; t < len; t++)
                {
                    var row = logits.Slice(t * 256, 256).ToArray();
                    double max = row.Max(), lse = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
                    sum += lse - row[tokens[start + t + 1]];
                }
            }
        Assert.Equal(sum / 60, r.NatsPerToken, 1e-5);
        Assert.Equal(r.NatsPerToken, Evaluation.Lm(model, tokens, batch: 16).NatsPerToken, 1e-5);
        Assert.Equal(r.NatsPerToken / Math.Log(2), r.BitsPerByte, 1e-12);
        var perByte = Evaluation.Lm(model, tokens, bytes: 120);
        Assert.Equal(r.TotalNats / 120, perByte.NatsPerByte, 1e-5);
        Assert.Throws<ArgumentException>(() => Evaluation.Lm(model, [1]));
        Assert.Throws<ArgumentException>(() => Evaluation.Lm(model, [1, 256]));
    }

    [Fact]
    public void ImageEvaluationCountsEveryImageInTheConfusionMatrix()
    {
        var net = new ConvNeXt(new ConvNeXtConfig(1, 10, [1, 1], [8, 16], 2, "tropical:3", 8), new Rng(1));
        net.Eval();
        var rng = new Rng(3);
        var images = new float[23 * 64];
        rng.FillNormal(images);
        var labels = Enumerable.Range(0, 23).Select(i => (byte)(i * 7 % 10)).ToArray();
        var data = new ImageDataset(images, labels, 1, 8, 8);
        var r = Evaluation.Images(net, data, batch: 5);
        Assert.Equal(23, r.Count);
        int correct = 0;
        using (Tensor.NoGrad())
        {
            var logits = net.Forward(Tensor.FromArray(images, 23, 1, 8, 8)).Data;
            for (int i = 0; i < 23; i++)
            {
                int pred = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.Slice(i * 10, 10));
                if (pred == labels[i]) correct++;
                Assert.True(r.Confusion[labels[i], pred] > 0);
            }
        }
        Assert.Equal(correct, r.Correct);
        Assert.Equal("Ankle boot", r.ClassNames[9]);
        Assert.Equal(2, Enumerable.Range(0, 10).Sum(j => r.Confusion[1, j])); // i * 7 % 10 == 1 for i = 3 and 13
    }

    [Fact]
    public void ActivationInputsAreWhatTheActivationReceives()
    {
        var model = GenerationTests.TinyGpt(layers: 1, block: 8);
        var rng = new Rng(4);
        var x = Enumerable.Range(0, 16).Select(_ => rng.NextInt(256)).ToArray();
        var stats = ActivationInputs.Record(model, [() => model.Forward(x, 2, 8)]);
        var s = Assert.Single(stats);
        Assert.Equal("transformer.h.0.mlp.act", s.Key);
        // The same input computed by hand: c_fc(ln_2(h)) with h after attention.
        float[] expected;
        using (Tensor.NoGrad())
        {
            var t = model.Transformer;
            var b = t.H[0];
            var h = t.Wte.Forward(x, 2, 8) + t.Wpe.Weight.Slice(0, 0, 8);
            h = h + b.Attn.Forward(b.Ln1.Forward(h));
            expected = b.Mlp.CFc.Forward(b.Ln2.Forward(h)).ToArray();
        }
        Assert.Equal(expected.Length, s.Value.Count);
        double mean = expected.Average(v => (double)v);
        Assert.Equal(mean, s.Value.Mean, 1e-5);
        Assert.Equal(Math.Sqrt(expected.Average(v => (v - mean) * (v - mean))), s.Value.Std, 1e-4);
        Array.Sort(expected);
        Assert.Equal(expected[0], s.Value.Min, 1e-6);
        Assert.Equal(expected[^1], s.Value.Max, 1e-6);
        Assert.Equal(expected[(expected.Length - 1) / 2], s.Value.Quantile((expected.Length - 1) / 2 / (double)(expected.Length - 1)), 1e-6);
        Assert.True(model.Parameters().All(p => p.Grad == null), "recording must not leave gradients behind");
        using (Tensor.NoGrad()) Assert.Throws<InvalidOperationException>(() => ActivationInputs.Record(model, [() => model.Forward(x, 2, 8)]));
    }

    [Fact]
    public void TrainedModelLoadsModelFilesOfEveryKind()
    {
        using var tmp = new TempDirectory();
        var gpt = GenerationTests.TinyGpt();
        string imported = tmp.File("gpt2-like.safetensors");
        GptModelFile.Save(gpt, imported);
        var m = TrainedModel.Load(imported);
        Assert.Equal("gpt2-like", m.Name);
        Assert.Null(m.RunDirectory);
        Assert.Null(m.LmRecipe);
        Assert.Equal(gpt.Transformer.Wte.Weight.ToArray(), m.Gpt!.Transformer.Wte.Weight.ToArray());
        Assert.False(m.Model.Training);
        Assert.Equal(2, m.LearnableActivations().Count);

        // A PyTorch-style state dict without Ortho's config: the architecture comes from the keys and shapes.
        string bare = tmp.File("bare.safetensors");
        StateDictFile.Save(gpt, bare);
        var inferred = TrainedModel.Load(bare);
        Assert.Null(inferred.ConfigJson);
        Assert.StartsWith("GPT: layers 2", inferred.Description);
        Assert.Equal(gpt.Transformer.H[1].Mlp.CProj.Weight.ToArray(), inferred.Gpt!.Transformer.H[1].Mlp.CProj.Weight.ToArray());
        // One activation's parameters (as 'ortho fit --out' writes them).
        string act = tmp.File("act.safetensors");
        StateDictFile.Save(new HermiteActivation(3), act);
        var single = TrainedModel.Load(act);
        Assert.Equal("activation", Assert.Single(single.LearnableActivations()).Name);
        string junk = tmp.File("junk.safetensors");
        var w = new SafeTensorsWriter();
        w.Add("something", new float[] { 1f, 2f }, [2]);
        w.Save(junk);
        Assert.Throws<InvalidDataException>(() => TrainedModel.Load(junk));
        Assert.Contains("no such file", Assert.Throws<FileNotFoundException>(() => TrainedModel.Load(tmp.File("none"))).Message);
        Assert.Contains("no model.safetensors", Assert.Throws<FileNotFoundException>(() => TrainedModel.Load(tmp.Path)).Message);
        var other = new Gpt(gpt.Config with { Embd = 8 }, new Rng(0));
        string wrong = tmp.File("wrong.safetensors");
        StateDictFile.Save(other, wrong, [new("config", GptModelFile.ConfigJson(gpt.Config))]);
        Assert.Throws<InvalidDataException>(() => TrainedModel.Load(wrong));
    }

    [Fact]
    public void MetricsOfOldAndNewLogsAndDamagedLines()
    {
        using var tmp = new TempDirectory();
        string old = tmp.File("old.jsonl");
        File.WriteAllLines(old, [
            """{"step":1,"loss":5.5,"lr":1E-05,"ms":1000.00,"items_per_s":344}""",
            """{"step":2,"loss":5.0,"lr":2E-05,"ms":500.00,"items_per_s":2858}""",
            """{"event":"eval","step":2,"val_loss":4.5,"test_acc":null,"ms_per_step":500,"peak_mb":180.8}""",
            """{"step":3,"lo""",
        ]);
        var m = RunMetrics.Read(old, "old");
        Assert.Equal([1, 2], m.Train.Select(p => p.Step));
        Assert.Equal([1.0, 1.5], m.Train.Select(p => p.WallSeconds)); // summed step times
        Assert.False(m.WallTimeLogged);
        Assert.Equal(1, m.SkippedLines);
        Assert.Equal(4.5, m.LastValidation!.Value.ValLoss);
        Assert.Equal(1.5, m.LastValidation!.Value.WallSeconds);
        Assert.False(m.HasAccuracy);
        Assert.Equal(180.8, m.PeakMb);

        string fresh = tmp.File("new.jsonl");
        File.WriteAllLines(fresh, [
            """{"step":1,"loss":2.5,"lr":1E-05,"ms":10,"items_per_s":3,"wall_s":3.0}""",
            """{"event":"eval","step":1,"val_loss":"NaN","test_acc":0.5,"wall_s":4.0}""",
            """{"step":2,"loss":2.0,"lr":1E-05,"ms":10,"items_per_s":3,"wall_s":5.0}""",
            """{"event":"eval","step":2,"val_loss":1.95,"test_acc":0.7,"wall_s":6.0}""",
            """{"event":"eval","step":2,"val_loss":1.9,"test_acc":0.75,"wall_s":6.5,"final":true}""",
        ]);
        m = RunMetrics.Read(fresh, "new");
        Assert.True(m.WallTimeLogged);
        Assert.Equal([3.0, 5.0], m.Train.Select(p => p.WallSeconds));
        Assert.Null(m.Evals[0].ValLoss); // NaN is not plotted
        Assert.Equal([0.5, 0.75], m.Evals.Select(e => e.TestAccuracy!.Value));
        Assert.Equal(6.5, m.Evals[1].WallSeconds);
        Assert.True(m.HasAccuracy);

        string empty = tmp.File("empty.jsonl");
        File.WriteAllText(empty, "not json\n");
        Assert.Throws<InvalidDataException>(() => RunMetrics.Read(empty, "e"));
    }

    [Fact]
    public void SmoothingIsADebiasedMovingAverage()
    {
        Assert.All(CurvePlots.Smooth([2, 2, 2], 0.9), v => Assert.Equal(2, v, 1e-12));
        var s = CurvePlots.Smooth([0, 10], 0.5);
        Assert.Equal(0, s[0], 1e-12);
        Assert.Equal((0.5 * 0.5 * 0 + 0.5 * 10) / (1 - 0.25), s[1], 1e-12);
    }
}
