//! The traits every agent implements, in the spirit of linfa: hyperparameters
//! are checked once (`ParamGuard`), checked parameters fit a model (`Fit`),
//! models answer (`Predict`).

/// Unchecked hyperparameters that validate into their checked form.
///
/// Errors name the bad field and value. Fitting through the unchecked type
/// checks first, so an invalid value can never reach an algorithm.
pub trait ParamGuard {
    /// The validated parameters.
    type Checked;
    /// The error naming what was wrong.
    type Error: std::error::Error;

    /// Validate by reference.
    fn check_ref(&self) -> Result<&Self::Checked, Self::Error>;

    /// Validate and unwrap into the checked parameters.
    fn check(self) -> Result<Self::Checked, Self::Error>;

    /// Validate, panicking with the error message: only for parameters that
    /// are literals in the caller's own code, never for user input.
    fn check_unwrap(self) -> Self::Checked
    where
        Self: Sized,
    {
        match self.check() {
            Ok(p) => p,
            Err(e) => panic!("invalid hyperparameters: {e}"),
        }
    }
}

/// Training: checked hyperparameters plus data give a model.
pub trait Fit<D: ?Sized> {
    /// The trained model.
    type Model;
    /// What can go wrong while training.
    type Error: std::error::Error;

    fn fit(&self, data: &D) -> Result<Self::Model, Self::Error>;
}

/// Fitting through unchecked parameters validates them first.
pub trait FitChecked<D: ?Sized> {
    type Model;
    type Error: std::error::Error;
    fn fit_checked(&self, data: &D) -> Result<Self::Model, Self::Error>;
}

impl<P, D> FitChecked<D> for P
where
    D: ?Sized,
    P: ParamGuard,
    P::Checked: Fit<D>,
    <P::Checked as Fit<D>>::Error: From<P::Error>,
{
    type Model = <P::Checked as Fit<D>>::Model;
    type Error = <P::Checked as Fit<D>>::Error;

    fn fit_checked(&self, data: &D) -> Result<Self::Model, Self::Error> {
        self.check_ref()?.fit(data)
    }
}

/// Inference: a model answers for inputs `X`.
pub trait Predict<X> {
    type Output;
    fn predict(&self, x: X) -> Self::Output;
}
