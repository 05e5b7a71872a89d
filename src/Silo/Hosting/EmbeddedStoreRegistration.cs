namespace Sessions.Silo.Hosting;

/// <summary>That the host runs the embedded store (AddSessionsEmbeddedStore), and how durable its writes are.</summary>
internal sealed record EmbeddedStoreRegistration(EmbeddedDurability Durability);
