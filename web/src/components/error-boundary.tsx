import { Component, type ErrorInfo, type ReactNode } from 'react';

interface State {
  error: Error | null;
}

/**
 * Keeps a failure in one page from blanking the whole dashboard: the page shows what went wrong
 * and a way to try again, while the navigation and the connection banner keep working.
 */
export class PageErrorBoundary extends Component<{ children: ReactNode; page: string }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override componentDidUpdate(previous: { page: string }): void {
    // Navigating elsewhere starts afresh.
    if (previous.page !== this.props.page && this.state.error) this.setState({ error: null });
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.warn('dashboard page failed', error, info.componentStack);
  }

  override render(): ReactNode {
    if (!this.state.error) return this.props.children;
    return (
      <div role="alert" className="banner error">
        <p>This page failed: {this.state.error.message}</p>
        <button type="button" onClick={() => this.setState({ error: null })}>
          Try again
        </button>
      </div>
    );
  }
}
