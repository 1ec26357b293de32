using Brigade.Storage;

namespace Brigade.Tests.Storage;

public class CommitChainTests
{
    [Fact]
    public void A_batch_that_began_before_the_chain_was_reset_cannot_break_it_again()
    {
        var chain = new CommitChain();
        var failure = new IOException("disk full");
        chain.Update(chain.Read().Epoch, failure);

        // A batch (say, of read-model rows only) begins and reads the failure...
        var (epoch, broken) = chain.Read();
        Assert.Same(failure, broken);
        // ...the engine, rebuilt from the log, resets the chain...
        chain.Reset();
        // ...and the batch ends, writing back what it read.
        chain.Update(epoch, broken);

        Assert.Null(chain.Read().Broken);
    }

    [Fact]
    public void A_batch_that_began_after_the_reset_records_a_new_failure()
    {
        var chain = new CommitChain();
        chain.Reset();
        var (epoch, _) = chain.Read();
        var failure = new IOException("disk full");

        chain.Update(epoch, failure);

        Assert.Same(failure, chain.Read().Broken);
    }
}
