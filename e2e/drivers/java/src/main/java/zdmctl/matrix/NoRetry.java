package zdmctl.matrix;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.context.DriverContext;
import com.datastax.oss.driver.api.core.retry.RetryDecision;
import com.datastax.oss.driver.api.core.retry.RetryPolicy;
import com.datastax.oss.driver.api.core.servererrors.CoordinatorException;
import com.datastax.oss.driver.api.core.servererrors.WriteType;
import com.datastax.oss.driver.api.core.session.Request;

/**
 * A retry policy that retries nothing (Load --no-retry): every error the policy is asked about
 * reaches the application. The driver still handles some errors without asking its policy.
 */
@SuppressWarnings("deprecation")
public class NoRetry implements RetryPolicy {
  public NoRetry(DriverContext context, String profileName) {}

  @Override
  public RetryDecision onReadTimeout(
      Request r, ConsistencyLevel cl, int blockFor, int received, boolean data, int n) {
    return RetryDecision.RETHROW;
  }

  @Override
  public RetryDecision onWriteTimeout(
      Request r, ConsistencyLevel cl, WriteType t, int blockFor, int received, int n) {
    return RetryDecision.RETHROW;
  }

  @Override
  public RetryDecision onUnavailable(
      Request r, ConsistencyLevel cl, int required, int alive, int n) {
    return RetryDecision.RETHROW;
  }

  @Override
  public RetryDecision onRequestAborted(Request r, Throwable error, int n) {
    return RetryDecision.RETHROW;
  }

  @Override
  public RetryDecision onErrorResponse(Request r, CoordinatorException error, int n) {
    return RetryDecision.RETHROW;
  }

  @Override
  public void close() {}
}
