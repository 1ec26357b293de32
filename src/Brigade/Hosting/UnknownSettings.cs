using System.ComponentModel;
using System.Reflection;

namespace Brigade.Hosting;

/// <summary>
/// Keys in the settings' section that no setting reads: the configuration binder passes over them, so a
/// mistyped key (<c>Brigade:TimeScael</c>, <c>Brigade__Catalgo</c>) would leave its setting at the default
/// without a word. The keys known are those the binder reads: the settable properties of the options
/// type and of the types it holds, without regard to case; under a list, every key is an item.
/// </summary>
internal static class UnknownSettings
{
    /// <summary>A message for each key under <paramref name="section"/> that <paramref name="type"/> does not read, naming it and the key most likely meant.</summary>
    public static IReadOnlyList<string> Find(IConfigurationSection section, Type type)
    {
        var problems = new List<string>();
        Walk(section, type, section.Path, type, problems);
        return problems;
    }

    private static void Walk(IConfigurationSection section, Type type, string rootPath, Type rootType, List<string> problems)
    {
        if (ElementType(type) is { } element)
        {
            foreach (var item in section.GetChildren()) Walk(item, element, rootPath, rootType, problems);
            return;
        }
        List<(string Key, Type Type)> settings = IsScalar(type) ? [] : Settings(type);
        foreach (var child in section.GetChildren())
        {
            var known = settings.FindIndex(s => string.Equals(s.Key, child.Key, StringComparison.OrdinalIgnoreCase));
            if (known >= 0)
            {
                Walk(child, settings[known].Type, rootPath, rootType, problems);
                continue;
            }
            List<string> meant = Closest(child.Key, settings.Select(s => s.Key)) is { } sibling
                ? [section.Path + ":" + sibling]
                : Elsewhere(rootType, child.Key).Select(path => rootPath + ":" + path).ToList();
            // Each key under an unknown section is unknown: named in full, as it was written.
            foreach (var key in Leaves(child))
            {
                var rest = key[child.Path.Length..];
                problems.Add(meant.Count == 0
                    ? $"{key} is not a setting"
                    : $"{key} is not a setting; did you mean {string.Join(" or ", meant.Select(m => m + rest))}?");
            }
        }
    }

    /// <summary>The keys with a value at or under <paramref name="section"/>.</summary>
    private static IEnumerable<string> Leaves(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0) return [section.Path];
        return children.SelectMany(Leaves);
    }

    /// <summary>The setting of the same level at most two edits from <paramref name="key"/> (the nearest), or null.</summary>
    private static string? Closest(string key, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = 3;
        foreach (var candidate in candidates)
        {
            var d = Spelling.Distance(key.ToUpperInvariant(), candidate.ToUpperInvariant());
            if (d < bestDistance) (best, bestDistance) = (candidate, d);
        }
        return best;
    }

    /// <summary>The paths of settings named <paramref name="key"/> in other sections (<c>Burst</c>: <c>Limits:Burst</c>), through sections but not lists.</summary>
    private static IEnumerable<string> Elsewhere(Type type, string key)
    {
        if (IsScalar(type) || ElementType(type) is not null) yield break;
        foreach (var (name, propertyType) in Settings(type))
        {
            if (string.Equals(name, key, StringComparison.OrdinalIgnoreCase)) yield return name;
            foreach (var path in Elsewhere(propertyType, key)) yield return name + ":" + path;
        }
    }

    /// <summary>The properties the binder sets, or binds into (a section or a list it can fill in place), by their configuration key.</summary>
    private static List<(string Key, Type Type)> Settings(Type type) =>
        [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0 && (p.SetMethod is { IsPublic: true } || !IsScalar(p.PropertyType)))
            .Select(p => (p.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? p.Name, p.PropertyType))];

    /// <summary>A value read from one string (a number, a word, a flag), as the binder decides it.</summary>
    private static bool IsScalar(Type type) => TypeDescriptor.GetConverter(type).CanConvertFrom(typeof(string));

    /// <summary>The type of a list's items or a dictionary's values, or null if <paramref name="type"/> is neither.</summary>
    private static Type? ElementType(Type type)
    {
        if (type == typeof(string) || IsScalar(type)) return null;
        if (type.IsArray) return type.GetElementType();
        var interfaces = type.GetInterfaces().Prepend(type).Where(i => i.IsGenericType).ToList();
        return interfaces.FirstOrDefault(i => i.GetGenericTypeDefinition() == typeof(IDictionary<,>))?.GetGenericArguments()[1]
            ?? interfaces.FirstOrDefault(i => i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
    }
}
