using Ortho.NN;

namespace Ortho.IO;

/// <summary>Model weights as safetensors with PyTorch's state-dict keys (loadable by the PyTorch peer with strict keys).</summary>
public static class StateDictFile
{
    /// <summary>The metadata pair Hugging Face's loaders expect in a PyTorch model file: <c>"format": "pt"</c>.</summary>
    public static readonly KeyValuePair<string, string> PyTorchFormat = new("format", "pt");

    /// <summary>
    /// Writes a module's state dict atomically; integer buffers are stored as I64 like PyTorch does. The metadata gets
    /// <c>"format": "pt"</c> (unless <paramref name="metadata"/> sets another format), as PyTorch model files carry.
    /// </summary>
    public static void Save(Module model, string path, IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        var w = new SafeTensorsWriter();
        AddModel(w, model, prefix: "");
        w.SetMetadata(PyTorchFormat.Key, PyTorchFormat.Value);
        if (metadata != null) w.SetMetadata(metadata);
        w.Save(path);
    }

    /// <summary>Adds every state-dict entry of <paramref name="model"/> under <paramref name="prefix"/>.</summary>
    public static void AddModel(SafeTensorsWriter writer, Module model, string prefix)
    {
        foreach (var (key, t) in model.StateDict())
        {
            if (model.StateDictDtype(key) == "I64")
            {
                var d = t.Data;
                var l = new long[d.Length];
                for (int i = 0; i < d.Length; i++) l[i] = (long)d[i];
                writer.AddInt64(prefix + key, l, t.Shape);
            }
            else writer.Add(prefix + key, t.Data, t.Shape);
        }
    }

    /// <summary>Reads every tensor of a safetensors file as float32 tensors (I64/F16/BF16/F64 converted).</summary>
    public static Dictionary<string, Tensor> Load(string path, string prefix = "")
    {
        var file = SafeTensorsFile.Read(path);
        return ToTensors(file, prefix);
    }

    /// <summary>The entries whose names start with <paramref name="prefix"/>, keyed without it, as float32 tensors.</summary>
    /// <exception cref="InvalidDataException">An entry's dtype has no float32 conversion (F8); the message names the file and the tensor.</exception>
    public static Dictionary<string, Tensor> ToTensors(SafeTensorsFile file, string prefix = "")
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var e in file.Entries)
        {
            if (!e.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            if (e.Dtype is SafeTensorDtypes.F8_E4M3 or SafeTensorDtypes.F8_E5M2)
                throw new InvalidDataException($"{file.Source}: tensor '{e.Name}' has dtype {e.Dtype}, which Ortho cannot convert to float32 (it reads F64, F32, F16, BF16 and integer tensors).");
            var t = Tensor.Unscoped(e.Shape);
            e.CopyToFloat32(t.Data);
            d[e.Name[prefix.Length..]] = t;
        }
        return d;
    }

    /// <summary>Loads weights into <paramref name="model"/> (strict keys unless told otherwise).</summary>
    public static void LoadInto(Module model, string path, bool strict = true)
    {
        try { model.LoadStateDict(Load(path), strict); }
        catch (StateDictException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
    }
}
